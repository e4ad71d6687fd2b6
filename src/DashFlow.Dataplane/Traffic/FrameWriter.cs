using System.Buffers.Binary;
using DashFlow.Dataplane.Packets;
using DashFlow.Model;

namespace DashFlow.Dataplane.Traffic;

/// <summary>One IPv4 packet to write: addresses, protocol and the L4 fields that matter to a flow.</summary>
public struct FrameSpec
{
    /// <summary>Ethernet source MAC.</summary>
    public MacAddress SrcMac;

    /// <summary>Ethernet destination MAC.</summary>
    public MacAddress DstMac;

    /// <summary>IPv4 source.</summary>
    public IpAddress SrcIp;

    /// <summary>IPv4 destination.</summary>
    public IpAddress DstIp;

    /// <summary>TCP, UDP or ICMP.</summary>
    public byte Protocol;

    /// <summary>TCP/UDP source port; ICMP echo: the identifier.</summary>
    public ushort SrcPort;

    /// <summary>TCP/UDP destination port (unused for ICMP).</summary>
    public ushort DstPort;

    /// <summary>TCP flags.</summary>
    public TcpFlags TcpFlags;

    /// <summary>TCP sequence number; ICMP echo: the sequence number (low 16 bits).</summary>
    public uint Sequence;

    /// <summary>TCP acknowledgement number.</summary>
    public uint Acknowledgement;

    /// <summary>ICMP type (8 echo request, 0 echo reply).</summary>
    public byte IcmpType;

    /// <summary>Payload bytes after the L4 header (a repeating pattern).</summary>
    public int PayloadLength;
}

/// <summary>Writes Ethernet/IPv4/TCP|UDP|ICMP frames with valid checksums into a caller's buffer, and wraps them in VXLAN.</summary>
public static class FrameWriter
{
    /// <summary>The bytes <see cref="Write"/> needs for a spec.</summary>
    public static int LengthOf(in FrameSpec spec) => 14 + 20 + L4HeaderLength(spec.Protocol) + spec.PayloadLength;

    /// <summary>Writes the frame; returns its length, or 0 when the buffer is too small or the protocol unknown.</summary>
    public static int Write(Span<byte> destination, in FrameSpec spec)
    {
        int l4Header = L4HeaderLength(spec.Protocol);
        int length = 14 + 20 + l4Header + spec.PayloadLength;
        if (l4Header == 0 || destination.Length < length)
        {
            return 0;
        }

        var frame = destination[..length];
        spec.DstMac.WriteBytes(frame);
        spec.SrcMac.WriteBytes(frame[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], EtherTypes.Ipv4);
        var ip = frame.Slice(14, 20);
        ip[0] = 0x45;
        ip[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(length - 14));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)spec.Sequence); // identification
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000);                // DF
        ip[8] = 64;
        ip[9] = spec.Protocol;
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], spec.SrcIp.V4);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], spec.DstIp.V4);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip));

        var l4 = frame[34..];
        for (int i = 0; i < spec.PayloadLength; i++)
        {
            l4[l4Header + i] = (byte)('a' + (i % 26));
        }

        switch (spec.Protocol)
        {
            case IpProtocols.Tcp:
                BinaryPrimitives.WriteUInt16BigEndian(l4, spec.SrcPort);
                BinaryPrimitives.WriteUInt16BigEndian(l4[2..], spec.DstPort);
                BinaryPrimitives.WriteUInt32BigEndian(l4[4..], spec.Sequence);
                BinaryPrimitives.WriteUInt32BigEndian(l4[8..], spec.Acknowledgement);
                l4[12] = 5 << 4;
                l4[13] = (byte)spec.TcpFlags;
                BinaryPrimitives.WriteUInt16BigEndian(l4[14..], 65535);
                BinaryPrimitives.WriteUInt32BigEndian(l4[16..], 0); // checksum, urgent pointer
                BinaryPrimitives.WriteUInt16BigEndian(l4[16..], L4Checksum(ip, l4));
                break;
            case IpProtocols.Udp:
                BinaryPrimitives.WriteUInt16BigEndian(l4, spec.SrcPort);
                BinaryPrimitives.WriteUInt16BigEndian(l4[2..], spec.DstPort);
                BinaryPrimitives.WriteUInt16BigEndian(l4[4..], (ushort)l4.Length);
                BinaryPrimitives.WriteUInt16BigEndian(l4[6..], 0);
                ushort udp = L4Checksum(ip, l4);
                BinaryPrimitives.WriteUInt16BigEndian(l4[6..], udp == 0 ? (ushort)0xFFFF : udp);
                break;
            default:
                l4[0] = spec.IcmpType;
                l4[1] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(l4[2..], 0);
                BinaryPrimitives.WriteUInt16BigEndian(l4[4..], spec.SrcPort);
                BinaryPrimitives.WriteUInt16BigEndian(l4[6..], (ushort)spec.Sequence);
                BinaryPrimitives.WriteUInt16BigEndian(l4[2..], Checksum.Compute(l4));
                break;
        }

        return length;
    }

    /// <summary>Writes the frame of <paramref name="spec"/> inside VXLAN (the underlay of <paramref name="encap"/>); returns the length or 0.</summary>
    public static int WriteVxlan(Span<byte> destination, in FrameSpec spec, in UnderlayEncap encap)
    {
        int header = Encapsulation.HeaderLength(in encap);
        if (header < 0 || destination.Length < header + LengthOf(in spec))
        {
            return 0;
        }

        int inner = Write(destination[header..], in spec);
        if (inner == 0)
        {
            return 0;
        }

        uint entropy = (uint)(spec.SrcPort * 0x9E3779B1u) ^ spec.SrcIp.V4 ^ spec.DstIp.V4;
        Encapsulation.WriteHeaders(destination[..(header + inner)], in encap, entropy);
        return header + inner;
    }

    private static int L4HeaderLength(byte protocol) => protocol switch
    {
        IpProtocols.Tcp => 20,
        IpProtocols.Udp => 8,
        IpProtocols.Icmp => 8,
        _ => 0,
    };

    private static ushort L4Checksum(ReadOnlySpan<byte> ip, ReadOnlySpan<byte> l4) =>
        Checksum.Compute(l4, Checksum.PseudoHeaderSum(ip.Slice(12, 4), ip.Slice(16, 4), ip[9], l4.Length));
}
