using System.Buffers.Binary;
using DashFlow.Dataplane.Packets;

namespace DashFlow.Dataplane.Tests;

/// <summary>Hand-built frames for the cases PacketDotNet cannot build (options, fragments, extension headers, NVGRE).</summary>
internal static class RawFrames
{
    public static readonly byte[] Dmac = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
    public static readonly byte[] Smac = [0x00, 0x66, 0x77, 0x88, 0x99, 0xaa];

    public static byte[] Ethernet(ushort etherType, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[14 + payload.Length];
        Dmac.CopyTo(frame, 0);
        Smac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), etherType);
        payload.CopyTo(frame.AsSpan(14));
        return frame;
    }

    /// <summary>An IPv4 packet with options, fragment fields and a correct header checksum.</summary>
    public static byte[] Ipv4(byte protocol, ReadOnlySpan<byte> l4, byte[]? options = null, ushort fragmentOffset = 0, bool moreFragments = false,
        uint src = 0x0A000001, uint dst = 0x0A000002)
    {
        int optionLength = options?.Length ?? 0;
        int ihl = 20 + optionLength;
        var ip = new byte[ihl + l4.Length];
        ip[0] = (byte)(0x40 | (ihl / 4));
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)ip.Length);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), 0x1234);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(6), (ushort)((moreFragments ? 0x2000 : 0) | fragmentOffset));
        ip[8] = 64;
        ip[9] = protocol;
        BinaryPrimitives.WriteUInt32BigEndian(ip.AsSpan(12), src);
        BinaryPrimitives.WriteUInt32BigEndian(ip.AsSpan(16), dst);
        options?.CopyTo(ip, 20);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(10), Checksum.Compute(ip.AsSpan(0, ihl)));
        l4.CopyTo(ip.AsSpan(ihl));
        return ip;
    }

    /// <summary>An IPv6 packet: <paramref name="firstNextHeader"/> names what follows the fixed header (extension headers are part of <paramref name="rest"/>).</summary>
    public static byte[] Ipv6(byte firstNextHeader, ReadOnlySpan<byte> rest)
    {
        var ip = new byte[40 + rest.Length];
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), (ushort)rest.Length);
        ip[6] = firstNextHeader;
        ip[7] = 64;
        ip[8] = 0x20;
        ip[9] = 0x01;
        ip[23] = 1;
        ip[24] = 0x20;
        ip[25] = 0x01;
        ip[39] = 2;
        rest.CopyTo(ip.AsSpan(40));
        return ip;
    }

    /// <summary>A generic extension header of <paramref name="length"/> bytes (multiple of 8).</summary>
    public static byte[] ExtensionHeader(byte next, int length)
    {
        var header = new byte[length];
        header[0] = next;
        header[1] = (byte)(length / 8 - 1);
        if (length > 2)
        {
            header[2] = 1; // PadN option
            header[3] = (byte)(length - 4);
        }

        return header;
    }

    public static byte[] FragmentHeader(byte next, ushort offset, bool more, uint id = 0xCAFE)
    {
        var header = new byte[8];
        header[0] = next;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)((offset << 3) | (more ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), id);
        return header;
    }

    public static byte[] Udp(ushort src, ushort dst, int payloadLength = 8)
    {
        var udp = new byte[8 + payloadLength];
        BinaryPrimitives.WriteUInt16BigEndian(udp, src);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), dst);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        return udp;
    }

    public static byte[] Tcp(ushort src, ushort dst, TcpFlags flags, int dataOffsetWords = 5)
    {
        var tcp = new byte[Math.Max(20, dataOffsetWords * 4)];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, src);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), dst);
        tcp[12] = (byte)(dataOffsetWords << 4);
        tcp[13] = (byte)flags;
        return tcp;
    }

    public static byte[] Icmp(byte type, byte code, ushort id, ReadOnlySpan<byte> body = default)
    {
        var icmp = new byte[8 + body.Length];
        icmp[0] = type;
        icmp[1] = code;
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(4), id);
        body.CopyTo(icmp.AsSpan(8));
        return icmp;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>Outer Ethernet/IPv4/GRE(K)/0x6558 around <paramref name="inner"/>.</summary>
    public static byte[] Nvgre(uint vsid, byte flowId, byte[] inner)
    {
        var gre = new byte[8 + inner.Length];
        BinaryPrimitives.WriteUInt16BigEndian(gre, 0x2000);
        BinaryPrimitives.WriteUInt16BigEndian(gre.AsSpan(2), 0x6558);
        BinaryPrimitives.WriteUInt32BigEndian(gre.AsSpan(4), (vsid << 8) | flowId);
        inner.CopyTo(gre, 8);
        return Ethernet(EtherTypes.Ipv4, Ipv4(IpProtocols.Gre, gre, src: 0xAC100101, dst: 0xAC100114));
    }
}
