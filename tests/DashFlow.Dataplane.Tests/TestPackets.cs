using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;
using PacketDotNet.Utils;

namespace DashFlow.Dataplane.Tests;

/// <summary>What a generated packet holds, as the generator chose it (the ground truth next to PacketDotNet's reading).</summary>
internal sealed record PacketSpec
{
    public bool V6 { get; init; }
    public byte Protocol { get; init; }
    public IPAddress Src { get; init; } = IPAddress.Any;
    public IPAddress Dst { get; init; } = IPAddress.Any;
    public ushort SrcPort { get; init; }
    public ushort DstPort { get; init; }
    public byte TcpFlags { get; init; }
    public byte IcmpType { get; init; }
    public byte IcmpCode { get; init; }
    public ushort IcmpId { get; init; }
    public bool IcmpEcho { get; init; }
    public bool IcmpError { get; init; }
    public byte QuotedProtocol { get; init; }
    public ushort QuotedSrcPort { get; init; }
    public ushort QuotedDstPort { get; init; }
    public IPAddress? QuotedSrc { get; init; }
    public IPAddress? QuotedDst { get; init; }
    public int[] Vlans { get; init; } = [];
    public uint? Vni { get; init; }

    /// <summary>Where the innermost Ethernet frame starts.</summary>
    public int InnerOffset { get; init; }

    /// <summary>The end of the innermost L4 header the parser needs (a shorter capture must be a drop).</summary>
    public int HeadersEnd { get; init; }
}

/// <summary>Random frames built with PacketDotNet (the independent oracle).</summary>
internal static class TestPackets
{
    public static PhysicalAddress RandomMac(Random rng)
    {
        var bytes = new byte[6];
        rng.NextBytes(bytes);
        bytes[0] &= 0xFE;
        return new PhysicalAddress(bytes);
    }

    public static IPAddress RandomAddress(Random rng, bool v6)
    {
        var bytes = new byte[v6 ? 16 : 4];
        rng.NextBytes(bytes);
        return new IPAddress(bytes);
    }

    public static byte[] RandomBytes(Random rng, int max)
    {
        var bytes = new byte[rng.Next(max + 1)];
        rng.NextBytes(bytes);
        return bytes;
    }

    /// <summary>An Ethernet/IP/L4 frame with every checksum correct.</summary>
    public static byte[] BuildInner(Random rng, out PacketSpec spec, bool? v6Choice = null, byte? protocolChoice = null)
    {
        bool v6 = v6Choice ?? rng.Next(2) == 1;
        byte protocol = protocolChoice ?? (rng.Next(4) switch { 0 => (byte)6, 1 => (byte)17, 2 => v6 ? (byte)58 : (byte)1, _ => (byte)6 });
        var src = RandomAddress(rng, v6);
        var dst = RandomAddress(rng, v6);
        var eth = new EthernetPacket(RandomMac(rng), RandomMac(rng), v6 ? EthernetType.IPv6 : EthernetType.IPv4);
        IPPacket ip = v6 ? new IPv6Packet(src, dst) : new IPv4Packet(src, dst) { Id = (ushort)rng.Next(65536), TimeToLive = rng.Next(1, 256) };
        var payload = RandomBytes(rng, 64);
        spec = new PacketSpec { V6 = v6, Protocol = protocol, Src = src, Dst = dst };
        int ipHeader = v6 ? 40 : 20;
        switch (protocol)
        {
            case 6:
            {
                var tcp = new TcpPacket((ushort)rng.Next(65536), (ushort)rng.Next(65536))
                {
                    Flags = (ushort)rng.Next(256),
                    SequenceNumber = (uint)rng.Next(),
                    AcknowledgmentNumber = (uint)rng.Next(),
                    WindowSize = (ushort)rng.Next(65536),
                    PayloadData = payload,
                };
                ip.PayloadPacket = tcp;
                eth.PayloadPacket = ip;
                tcp.UpdateTcpChecksum();
                spec = spec with { SrcPort = tcp.SourcePort, DstPort = tcp.DestinationPort, TcpFlags = (byte)tcp.Flags, HeadersEnd = 14 + ipHeader + 20 };
                break;
            }

            case 17:
            {
                ushort dstPort = (ushort)rng.Next(65536);
                if (dstPort == 4789)
                {
                    dstPort++;
                }

                var udp = new UdpPacket((ushort)rng.Next(65536), dstPort) { PayloadData = payload };
                ip.PayloadPacket = udp;
                eth.PayloadPacket = ip;
                udp.UpdateUdpChecksum();
                spec = spec with { SrcPort = udp.SourcePort, DstPort = udp.DestinationPort, HeadersEnd = 14 + ipHeader + 8 };
                break;
            }

            default:
            {
                var icmp = BuildIcmp(rng, v6, ref spec);
                ip.Protocol = v6 ? ProtocolType.IcmpV6 : ProtocolType.Icmp;
                ip.PayloadData = icmp;
                if (ip is IPv6Packet ip6)
                {
                    ip6.PayloadLength = (ushort)icmp.Length;
                }
                else
                {
                    ((IPv4Packet)ip).TotalLength = 20 + icmp.Length;
                }

                eth.PayloadPacket = ip;
                spec = spec with { HeadersEnd = 14 + ipHeader + (spec.IcmpEcho ? 8 : 4) };
                break;
            }
        }

        if (ip is IPv4Packet v4)
        {
            v4.UpdateIPChecksum();
        }

        var bytes = eth.Bytes;
        if (protocol is 1 or 58)
        {
            FixIcmpChecksum(bytes, 14, v6);
        }

        return bytes;
    }

    private static byte[] BuildIcmp(Random rng, bool v6, ref PacketSpec spec)
    {
        int kind = rng.Next(3);
        byte type;
        byte code = (byte)rng.Next(16);
        if (kind == 0)
        {
            type = v6 ? (byte)(128 + rng.Next(2)) : (byte)(rng.Next(2) * 8);
            code = 0;
        }
        else if (kind == 1)
        {
            type = v6 ? (byte)rng.Next(1, 5) : new byte[] { 3, 11, 12, 5 }[rng.Next(4)];
        }
        else
        {
            // Messages whose body tshark accepts empty (router solicitation) or as 12 bytes (ICMPv4 timestamp).
            type = v6 ? (byte)133 : new byte[] { 13, 14, 10 }[rng.Next(3)];
        }

        ushort id = (ushort)rng.Next(65536);
        byte[] body;
        if (kind == 1)
        {
            // Quote the first bytes of a TCP or UDP packet between two other hosts.
            var quotedBytes = BuildInner(rng, out var quoted, v6, rng.Next(2) == 0 ? (byte)6 : (byte)17);
            int ipHeaderLength = v6 ? 40 : 20;
            int take = Math.Min(quotedBytes.Length - 14, ipHeaderLength + 8 + rng.Next(8));
            body = quotedBytes.AsSpan(14, take).ToArray();
            spec = spec with
            {
                IcmpError = true, QuotedProtocol = quoted.Protocol, QuotedSrc = quoted.Src, QuotedDst = quoted.Dst,
                QuotedSrcPort = quoted.SrcPort, QuotedDstPort = quoted.DstPort,
            };
        }
        else if (kind == 0)
        {
            body = RandomBytes(rng, 48);
        }
        else
        {
            body = type is 13 or 14 ? RandomBytes(rng, 12).Concat(new byte[12]).Take(12).ToArray() : [];
        }

        var icmp = new byte[8 + body.Length];
        icmp[0] = type;
        icmp[1] = code;
        if (kind == 1)
        {
            BinaryPrimitives.WriteUInt32BigEndian(icmp.AsSpan(4), 0);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(4), id);
            BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(6), (ushort)rng.Next(65536));
        }

        body.CopyTo(icmp, 8);
        spec = spec with
        {
            IcmpType = type, IcmpCode = code, IcmpEcho = kind == 0, IcmpId = kind == 0 ? id : (ushort)0,
            SrcPort = kind == 0 ? id : type, DstPort = kind == 0 ? id : code,
        };
        return icmp;
    }

    /// <summary>Writes the ICMP/ICMPv6 checksum of the IP packet at <paramref name="l3"/> (PacketDotNet then validates it).</summary>
    public static void FixIcmpChecksum(byte[] frame, int l3, bool v6)
    {
        int l4 = l3 + (v6 ? 40 : (frame[l3] & 0xF) * 4);
        int end = v6 ? l3 + 40 + BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(l3 + 4)) : l3 + BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(l3 + 2));
        frame[l4 + 2] = 0;
        frame[l4 + 3] = 0;
        ulong sum = 0;
        if (v6)
        {
            sum = Dataplane.Packets.Checksum.PseudoHeaderSum(frame.AsSpan(l3 + 8, 16), frame.AsSpan(l3 + 24, 16), 58, end - l4);
        }

        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(l4 + 2), Dataplane.Packets.Checksum.Compute(frame.AsSpan(l4, end - l4), sum));
    }

    /// <summary>Inserts 802.1Q/802.1ad tags after the MACs.</summary>
    public static byte[] AddVlans(byte[] frame, int[] vlans)
    {
        var tagged = new byte[frame.Length + 4 * vlans.Length];
        frame.AsSpan(0, 12).CopyTo(tagged);
        int pos = 12;
        for (int i = 0; i < vlans.Length; i++)
        {
            ushort tpid = vlans.Length > 1 && i == 0 ? (ushort)0x88A8 : (ushort)0x8100;
            BinaryPrimitives.WriteUInt16BigEndian(tagged.AsSpan(pos), tpid);
            BinaryPrimitives.WriteUInt16BigEndian(tagged.AsSpan(pos + 2), (ushort)vlans[i]);
            pos += 4;
        }

        frame.AsSpan(12).CopyTo(tagged.AsSpan(pos));
        return tagged;
    }

    /// <summary>Wraps a frame in Ethernet/IPv4 or IPv6/UDP/VXLAN built with PacketDotNet.</summary>
    public static byte[] WrapVxlan(Random rng, byte[] inner, uint vni, bool outerV6, out int innerOffset)
    {
        var vxlan = new byte[8 + inner.Length];
        vxlan[0] = 0x08;
        BinaryPrimitives.WriteUInt32BigEndian(vxlan.AsSpan(4), vni << 8);
        inner.CopyTo(vxlan, 8);
        var eth = new EthernetPacket(RandomMac(rng), RandomMac(rng), outerV6 ? EthernetType.IPv6 : EthernetType.IPv4);
        IPPacket ip = outerV6 ? new IPv6Packet(RandomAddress(rng, true), RandomAddress(rng, true)) : new IPv4Packet(RandomAddress(rng, false), RandomAddress(rng, false));
        var udp = new UdpPacket((ushort)rng.Next(49152, 65536), 4789) { PayloadData = vxlan };
        ip.PayloadPacket = udp;
        eth.PayloadPacket = ip;
        udp.UpdateUdpChecksum();
        if (ip is IPv4Packet v4)
        {
            v4.UpdateIPChecksum();
        }

        innerOffset = 14 + (outerV6 ? 40 : 20) + 8 + 8;
        return eth.Bytes;
    }

    /// <summary>A random frame: IPv4/IPv6, TCP/UDP/ICMP, 0–2 VLAN tags, optionally inside VXLAN (itself optionally tagged).</summary>
    public static byte[] BuildRandom(Random rng, out PacketSpec spec, bool allowVxlan = true)
    {
        var inner = BuildInner(rng, out spec);
        int innerVlans = rng.Next(4) == 0 ? rng.Next(1, 3) : 0;
        if (innerVlans > 0)
        {
            var vlans = Enumerable.Range(0, innerVlans).Select(_ => rng.Next(1, 4095)).ToArray();
            inner = AddVlans(inner, vlans);
            spec = spec with { Vlans = vlans, HeadersEnd = spec.HeadersEnd + 4 * innerVlans };
        }

        if (!allowVxlan || rng.Next(3) != 0)
        {
            return inner;
        }

        uint vni = (uint)rng.Next(1 << 24);
        var frame = WrapVxlan(rng, inner, vni, rng.Next(3) == 0, out int innerOffset);
        if (rng.Next(4) == 0)
        {
            frame = AddVlans(frame, [rng.Next(1, 4095)]);
            innerOffset += 4;
        }

        spec = spec with { Vni = vni, InnerOffset = innerOffset, HeadersEnd = spec.HeadersEnd + innerOffset };
        return frame;
    }

    public static Packet Parse(byte[] frame) => Packet.ParsePacket(LinkLayers.Ethernet, frame);

    public static Packet ParseSegment(byte[] frame, int offset) => new EthernetPacket(new ByteArraySegment(frame, offset, frame.Length - offset));
}
