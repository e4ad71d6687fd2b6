using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using DashFlow.Model;

namespace DashFlow.Dataplane.Packets;

/// <summary>
/// Zero-allocation parser of Ethernet frames: Ethernet II, 802.1Q/802.1ad tags, IPv4 (options, fragments), IPv6 (extension
/// headers, fragment header), TCP, UDP, SCTP ports, ICMP, ICMPv6, and VXLAN/NVGRE tunnels down to the innermost packet.
/// </summary>
/// <remarks>Never throws on packet content: a malformed or truncated frame yields a <see cref="DropReason"/>.</remarks>
public static class PacketParser
{
    /// <summary>The VXLAN UDP destination port (IANA).</summary>
    public const ushort VxlanPort = 4789;

    /// <summary>The deepest tunnel nesting followed (U1 over U0 is 2).</summary>
    public const int MaxTunnelDepth = 4;

    /// <summary>The most VLAN tags accepted in one Ethernet header.</summary>
    public const int MaxVlanTags = 4;

    /// <summary>The longest IPv6 extension header chain followed.</summary>
    public const int MaxIpv6ExtensionHeaders = 16;

    private const int EthernetHeaderLength = 14;
    private const int VxlanHeaderLength = 8;

    /// <summary>Parses one Ethernet frame.</summary>
    /// <returns>The drop reason, <see cref="DropReason.None"/> when the frame parsed (also in <paramref name="packet"/>).</returns>
    public static DropReason Parse(ReadOnlySpan<byte> frame, out ParsedPacket packet)
    {
        packet = default;
        packet.FrameLength = frame.Length;
        packet.TunnelHeaderOffset = -1;
        int offset = 0;
        var limited = frame;
        for (int depth = 0; ; depth++)
        {
            var drop = ParseLayer(limited, offset, out packet.Inner);
            if (depth == 0)
            {
                packet.Outer = packet.Inner;
            }

            if (drop != DropReason.None)
            {
                packet.DropReason = drop;
                return drop;
            }

            drop = DetectTunnel(limited, in packet.Inner, out var kind, out uint id, out byte flowId, out int innerOffset);
            if (drop != DropReason.None)
            {
                packet.DropReason = drop;
                return drop;
            }

            if (kind == TunnelKind.None)
            {
                break;
            }

            if (depth + 1 > MaxTunnelDepth)
            {
                packet.DropReason = DropReason.TunnelTooDeep;
                return DropReason.TunnelTooDeep;
            }

            packet.TunnelDepth = depth + 1;
            packet.TunnelKind = kind;
            packet.TunnelId = id;
            packet.TunnelFlowId = flowId;
            packet.TunnelHeaderOffset = packet.Inner.L4Offset + (kind == TunnelKind.Vxlan ? 8 : 0);
            packet.Flags |= PacketFlags.Tunneled;
            ReadAddresses(limited, packet.Inner.L3Offset, packet.Inner.IpVersion, out packet.TunnelSrcIp, out packet.TunnelDstIp);
            packet.TunnelSrcMac = packet.Inner.SrcMac;
            packet.TunnelDstMac = packet.Inner.DstMac;

            // The inner frame ends where the outer IP packet ends (outer Ethernet padding is not inner data).
            limited = limited[..Math.Min(limited.Length, packet.Inner.L3End)];
            offset = innerOffset;
        }

        return ExtractFlow(limited, ref packet);
    }

    /// <summary>Parses Ethernet, VLAN tags, the IP header and checks the L4 header fits.</summary>
    private static DropReason ParseLayer(ReadOnlySpan<byte> frame, int offset, out HeaderOffsets h)
    {
        h = default;
        h.EthernetOffset = offset;
        h.L3Offset = -1;
        h.L4Offset = -1;
        h.FragmentHeaderOffset = -1;
        if (frame.Length - offset < EthernetHeaderLength)
        {
            return DropReason.Truncated;
        }

        h.DstMac = ReadMac(frame[offset..]);
        h.SrcMac = ReadMac(frame[(offset + 6)..]);
        int pos = offset + 12;
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[pos..]);
        pos += 2;
        while (etherType is EtherTypes.Vlan or EtherTypes.QinQ or EtherTypes.QinQLegacy)
        {
            if (h.VlanCount == MaxVlanTags)
            {
                return DropReason.TooManyVlanTags;
            }

            if (frame.Length - pos < 4)
            {
                return DropReason.Truncated;
            }

            ushort tci = BinaryPrimitives.ReadUInt16BigEndian(frame[pos..]);
            if (h.VlanCount == 0)
            {
                h.OuterVlanTci = tci;
            }
            else if (h.VlanCount == 1)
            {
                h.InnerVlanTci = tci;
            }

            h.VlanCount++;
            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[(pos + 2)..]);
            pos += 4;
        }

        h.EtherType = etherType;
        var drop = etherType switch
        {
            EtherTypes.Ipv4 => ParseIpv4(frame, pos, ref h),
            EtherTypes.Ipv6 => ParseIpv6(frame, pos, ref h),
            _ => DropReason.UnsupportedEtherType,
        };
        return drop != DropReason.None ? drop : CheckL4(frame, ref h);
    }

    private static DropReason ParseIpv4(ReadOnlySpan<byte> frame, int pos, ref HeaderOffsets h)
    {
        int available = frame.Length - pos;
        if (available < 1)
        {
            return DropReason.Truncated;
        }

        if (frame[pos] >> 4 != 4)
        {
            return DropReason.BadIpVersion;
        }

        int ihl = (frame[pos] & 0xF) * 4;
        if (ihl < 20)
        {
            return DropReason.BadIpHeaderLength;
        }

        if (available < ihl)
        {
            return DropReason.Truncated;
        }

        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(frame[(pos + 2)..]);
        if (totalLength < ihl)
        {
            return DropReason.BadIpTotalLength;
        }

        h.L3Offset = pos;
        h.IpVersion = 4;
        h.IpHeaderLength = ihl;
        h.L3End = pos + totalLength;
        ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(frame[(pos + 6)..]);
        h.FragmentOffset = (ushort)(fragment & 0x1FFF);
        h.MoreFragments = (fragment & 0x2000) != 0;
        h.IsFragment = h.FragmentOffset != 0 || h.MoreFragments;
        h.L4Protocol = frame[pos + 9];
        h.L4Offset = h.FragmentOffset == 0 ? pos + ihl : -1;
        return DropReason.None;
    }

    private static DropReason ParseIpv6(ReadOnlySpan<byte> frame, int pos, ref HeaderOffsets h)
    {
        int available = frame.Length - pos;
        if (available < 1)
        {
            return DropReason.Truncated;
        }

        if (frame[pos] >> 4 != 6)
        {
            return DropReason.BadIpVersion;
        }

        if (available < 40)
        {
            return DropReason.Truncated;
        }

        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(frame[(pos + 4)..]);
        byte next = frame[pos + 6];
        h.L3Offset = pos;
        h.IpVersion = 6;
        // A zero payload length with a hop-by-hop header is a jumbogram (RFC 2675): the frame bounds it.
        h.L3End = payloadLength == 0 && next == IpProtocols.HopByHop ? frame.Length : pos + 40 + payloadLength;
        int cursor = pos + 40;
        for (int count = 0; ; count++)
        {
            if (next is not (IpProtocols.HopByHop or IpProtocols.Ipv6Routing or IpProtocols.Ipv6DestinationOptions
                or IpProtocols.Ipv6Fragment or IpProtocols.Ah))
            {
                break;
            }

            if (count == MaxIpv6ExtensionHeaders)
            {
                return DropReason.BadIpv6ExtensionHeader;
            }

            int headerLength;
            if (next == IpProtocols.Ipv6Fragment)
            {
                headerLength = 8;
            }
            else
            {
                if (h.L3End - cursor < 2)
                {
                    return DropReason.BadIpv6ExtensionHeader;
                }

                if (frame.Length - cursor < 2)
                {
                    return DropReason.Truncated;
                }

                headerLength = next == IpProtocols.Ah ? (frame[cursor + 1] + 2) * 4 : (frame[cursor + 1] + 1) * 8;
            }

            if (h.L3End - cursor < headerLength)
            {
                return DropReason.BadIpv6ExtensionHeader;
            }

            if (frame.Length - cursor < headerLength)
            {
                return DropReason.Truncated;
            }

            byte following = frame[cursor];
            if (next == IpProtocols.Ipv6Fragment)
            {
                ushort field = BinaryPrimitives.ReadUInt16BigEndian(frame[(cursor + 2)..]);
                h.FragmentHeaderOffset = cursor;
                h.IsFragment = true;
                h.FragmentOffset = (ushort)(field >> 3);
                h.MoreFragments = (field & 1) != 0;
                // An atomic fragment (offset 0, M clear; RFC 6946) is treated as a whole packet.
                h.IsFragment = h.FragmentOffset != 0 || h.MoreFragments;
                if (h.FragmentOffset != 0)
                {
                    h.L4Protocol = following;
                    h.IpHeaderLength = cursor + headerLength - pos;
                    h.L4Offset = -1;
                    return DropReason.None;
                }
            }

            next = following;
            cursor += headerLength;
        }

        h.L4Protocol = next;
        h.IpHeaderLength = cursor - pos;
        h.L4Offset = cursor;
        return DropReason.None;
    }

    /// <summary>Checks that the L4 header the flow key needs fits in the IP packet and in the capture.</summary>
    private static DropReason CheckL4(ReadOnlySpan<byte> frame, ref HeaderOffsets h)
    {
        if (h.L4Offset < 0)
        {
            return DropReason.None;
        }

        int inPacket = h.L3End - h.L4Offset;
        int captured = Math.Min(frame.Length, h.L3End) - h.L4Offset;
        switch (h.L4Protocol)
        {
            case IpProtocols.Tcp:
                if (inPacket < 20)
                {
                    return DropReason.BadL4Length;
                }

                if (captured < 20)
                {
                    return DropReason.Truncated;
                }

                int dataOffset = (frame[h.L4Offset + 12] >> 4) * 4;
                return dataOffset < 20 || dataOffset > inPacket ? DropReason.BadTcpHeaderLength : DropReason.None;

            case IpProtocols.Udp:
                if (inPacket < 8)
                {
                    return DropReason.BadL4Length;
                }

                if (captured < 8)
                {
                    return DropReason.Truncated;
                }

                int udpLength = BinaryPrimitives.ReadUInt16BigEndian(frame[(h.L4Offset + 4)..]);
                // A first fragment's UDP length covers the whole datagram; a whole packet's must fit in it.
                return udpLength < 8 || (!h.IsFragment && udpLength > inPacket) ? DropReason.BadUdpLength : DropReason.None;

            case IpProtocols.Icmp when h.IpVersion == 4:
            case IpProtocols.IcmpV6 when h.IpVersion == 6:
            case IpProtocols.Sctp:
                int needed = h.L4Protocol == IpProtocols.Sctp ? 12 : 4;
                if (inPacket < needed)
                {
                    return DropReason.BadL4Length;
                }

                return captured < needed ? DropReason.Truncated : DropReason.None;

            default:
                return DropReason.None;
        }
    }

    private static DropReason DetectTunnel(ReadOnlySpan<byte> frame, in HeaderOffsets h, out TunnelKind kind, out uint id, out byte flowId, out int innerOffset)
    {
        kind = TunnelKind.None;
        id = 0;
        flowId = 0;
        innerOffset = 0;
        if (h.L4Offset < 0 || h.IsFragment)
        {
            return DropReason.None;
        }

        int l4 = h.L4Offset;
        int inPacket = h.L3End - l4;
        int captured = Math.Min(frame.Length, h.L3End) - l4;
        if (h.L4Protocol == IpProtocols.Udp)
        {
            if (BinaryPrimitives.ReadUInt16BigEndian(frame[(l4 + 2)..]) != VxlanPort)
            {
                return DropReason.None;
            }

            if (inPacket < 8 + VxlanHeaderLength)
            {
                return DropReason.BadTunnelHeader;
            }

            if (captured < 8 + VxlanHeaderLength)
            {
                return DropReason.Truncated;
            }

            // The I flag marks a valid VNI (RFC 7348); without it the datagram is ordinary UDP to port 4789.
            if ((frame[l4 + 8] & 0x08) == 0)
            {
                return DropReason.None;
            }

            kind = TunnelKind.Vxlan;
            id = BinaryPrimitives.ReadUInt32BigEndian(frame[(l4 + 12)..]) >> 8;
            innerOffset = l4 + 8 + VxlanHeaderLength;
            return DropReason.None;
        }

        if (h.L4Protocol == IpProtocols.Gre)
        {
            if (inPacket < 4 || captured < 4)
            {
                return inPacket < 4 ? DropReason.BadL4Length : DropReason.Truncated;
            }

            ushort flags = BinaryPrimitives.ReadUInt16BigEndian(frame[l4..]);
            ushort protocol = BinaryPrimitives.ReadUInt16BigEndian(frame[(l4 + 2)..]);
            // Version 0 without source routing, carrying Ethernet: NVGRE (RFC 7637) or plain Ethernet-over-GRE.
            if (protocol != EtherTypes.TransparentEthernetBridging || (flags & 0x4007) != 0)
            {
                return DropReason.None;
            }

            bool hasChecksum = (flags & 0x8000) != 0;
            bool hasKey = (flags & 0x2000) != 0;
            bool hasSequence = (flags & 0x1000) != 0;
            int length = 4 + (hasChecksum ? 4 : 0) + (hasKey ? 4 : 0) + (hasSequence ? 4 : 0);
            if (inPacket < length)
            {
                return DropReason.BadTunnelHeader;
            }

            if (captured < length)
            {
                return DropReason.Truncated;
            }

            if (hasKey)
            {
                uint key = BinaryPrimitives.ReadUInt32BigEndian(frame[(l4 + 4 + (hasChecksum ? 4 : 0))..]);
                id = key >> 8;
                flowId = (byte)key;
            }

            kind = TunnelKind.Nvgre;
            innerOffset = l4 + length;
        }

        return DropReason.None;
    }

    /// <summary>Fills the flow fields from the innermost packet.</summary>
    private static DropReason ExtractFlow(ReadOnlySpan<byte> frame, ref ParsedPacket p)
    {
        ref readonly var h = ref p.Inner;
        p.IpProtocol = h.L4Protocol;
        ReadAddresses(frame, h.L3Offset, h.IpVersion, out p.SrcIp, out p.DstIp);
        if (h.IsCaptureTruncated(frame.Length))
        {
            p.Flags |= PacketFlags.CaptureTruncated;
        }

        if (h.IsFragment)
        {
            p.Flags |= PacketFlags.Fragment;
        }

        if (h.L4Offset < 0)
        {
            p.Flags |= PacketFlags.NonFirstFragment;
            return DropReason.None;
        }

        int l4 = h.L4Offset;
        switch (h.L4Protocol)
        {
            case IpProtocols.Tcp:
                p.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(frame[l4..]);
                p.DstPort = BinaryPrimitives.ReadUInt16BigEndian(frame[(l4 + 2)..]);
                p.TcpFlags = (TcpFlags)frame[l4 + 13];
                p.Flags |= PacketFlags.HasPorts;
                break;

            case IpProtocols.Udp:
            case IpProtocols.Sctp:
                p.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(frame[l4..]);
                p.DstPort = BinaryPrimitives.ReadUInt16BigEndian(frame[(l4 + 2)..]);
                p.Flags |= PacketFlags.HasPorts;
                break;

            case IpProtocols.Icmp when h.IpVersion == 4:
            case IpProtocols.IcmpV6 when h.IpVersion == 6:
                return ExtractIcmp(frame, ref p);
        }

        return DropReason.None;
    }

    private static DropReason ExtractIcmp(ReadOnlySpan<byte> frame, ref ParsedPacket p)
    {
        ref readonly var h = ref p.Inner;
        int l4 = h.L4Offset;
        int inPacket = h.L3End - l4;
        int captured = Math.Min(frame.Length, h.L3End) - l4;
        bool v6 = h.IpVersion == 6;
        p.IcmpType = frame[l4];
        p.IcmpCode = frame[l4 + 1];
        p.SrcPort = p.IcmpType;
        p.DstPort = p.IcmpCode;
        if (IsEcho(p.IcmpType, v6))
        {
            if (inPacket < 8)
            {
                return Fail(ref p, DropReason.BadL4Length);
            }

            if (captured < 8)
            {
                return Fail(ref p, DropReason.Truncated);
            }

            ushort identifier = BinaryPrimitives.ReadUInt16BigEndian(frame[(l4 + 4)..]);
            p.SrcPort = identifier;
            p.DstPort = identifier;
            p.Flags |= PacketFlags.IcmpEcho;
            return DropReason.None;
        }

        if (IsError(p.IcmpType, v6))
        {
            p.Flags |= PacketFlags.IcmpError;
            // The quote starts after the 8-byte ICMP header; a quote too short for its addresses and ports is not read.
            var limit = frame[..Math.Min(frame.Length, h.L3End)];
            if (TryReadQuoted(limit, l4 + 8, v6, out p.Quoted))
            {
                p.Flags |= PacketFlags.HasQuoted;
            }
        }

        return DropReason.None;
    }

    private static DropReason Fail(ref ParsedPacket p, DropReason reason)
    {
        p.DropReason = reason;
        return reason;
    }

    /// <summary>ICMPv4 echo reply/request (0/8), ICMPv6 echo request/reply (128/129).</summary>
    public static bool IsEcho(byte type, bool v6) => v6 ? type is 128 or 129 : type is 0 or 8;

    /// <summary>ICMPv4 3, 4, 5, 11, 12; ICMPv6 1–4.</summary>
    public static bool IsError(byte type, bool v6) => v6 ? type is >= 1 and <= 4 : type is 3 or 4 or 5 or 11 or 12;

    private static bool TryReadQuoted(ReadOnlySpan<byte> frame, int pos, bool outerV6, out QuotedFlow quoted)
    {
        quoted = default;
        quoted.L3Offset = pos;
        if (frame.Length - pos < 1)
        {
            return false;
        }

        int version = frame[pos] >> 4;
        int l4;
        byte protocol;
        if (version == 4 && !outerV6)
        {
            if (frame.Length - pos < 20)
            {
                return false;
            }

            int ihl = (frame[pos] & 0xF) * 4;
            if (ihl < 20 || frame.Length - pos < ihl)
            {
                return false;
            }

            ReadAddresses(frame, pos, 4, out quoted.SrcIp, out quoted.DstIp);
            protocol = frame[pos + 9];
            bool nonFirst = (BinaryPrimitives.ReadUInt16BigEndian(frame[(pos + 6)..]) & 0x1FFF) != 0;
            quoted.IpProtocol = protocol;
            if (nonFirst)
            {
                return true;
            }

            l4 = pos + ihl;
        }
        else if (version == 6 && outerV6)
        {
            if (frame.Length - pos < 40)
            {
                return false;
            }

            ReadAddresses(frame, pos, 6, out quoted.SrcIp, out quoted.DstIp);
            protocol = frame[pos + 6];
            l4 = pos + 40;
            for (int count = 0; protocol is IpProtocols.HopByHop or IpProtocols.Ipv6Routing or IpProtocols.Ipv6DestinationOptions
                or IpProtocols.Ipv6Fragment or IpProtocols.Ah; count++)
            {
                if (count == MaxIpv6ExtensionHeaders || frame.Length - l4 < 8)
                {
                    return false;
                }

                int length = protocol switch
                {
                    IpProtocols.Ipv6Fragment => 8,
                    IpProtocols.Ah => (frame[l4 + 1] + 2) * 4,
                    _ => (frame[l4 + 1] + 1) * 8,
                };
                if (protocol == IpProtocols.Ipv6Fragment && (BinaryPrimitives.ReadUInt16BigEndian(frame[(l4 + 2)..]) >> 3) != 0)
                {
                    quoted.IpProtocol = frame[l4];
                    return true;
                }

                protocol = frame[l4];
                l4 += length;
            }

            quoted.IpProtocol = protocol;
        }
        else
        {
            return false;
        }

        int available = frame.Length - l4;
        switch (protocol)
        {
            case IpProtocols.Tcp:
            case IpProtocols.Udp:
            case IpProtocols.Sctp:
                if (available < 4)
                {
                    return false;
                }

                quoted.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(frame[l4..]);
                quoted.DstPort = BinaryPrimitives.ReadUInt16BigEndian(frame[(l4 + 2)..]);
                return true;

            case IpProtocols.Icmp when !outerV6:
            case IpProtocols.IcmpV6 when outerV6:
                if (available < 2)
                {
                    return false;
                }

                byte type = frame[l4];
                if (IsEcho(type, outerV6))
                {
                    if (available < 6)
                    {
                        return false;
                    }

                    quoted.SrcPort = quoted.DstPort = BinaryPrimitives.ReadUInt16BigEndian(frame[(l4 + 4)..]);
                }
                else
                {
                    quoted.SrcPort = type;
                    quoted.DstPort = frame[l4 + 1];
                }

                return true;

            default:
                return true;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ReadAddresses(ReadOnlySpan<byte> frame, int l3, int version, out IpAddress src, out IpAddress dst)
    {
        if (version == 4)
        {
            src = IpAddress.FromV4(BinaryPrimitives.ReadUInt32BigEndian(frame[(l3 + 12)..]));
            dst = IpAddress.FromV4(BinaryPrimitives.ReadUInt32BigEndian(frame[(l3 + 16)..]));
        }
        else
        {
            src = IpAddress.FromV6(BinaryPrimitives.ReadUInt64BigEndian(frame[(l3 + 8)..]), BinaryPrimitives.ReadUInt64BigEndian(frame[(l3 + 16)..]));
            dst = IpAddress.FromV6(BinaryPrimitives.ReadUInt64BigEndian(frame[(l3 + 24)..]), BinaryPrimitives.ReadUInt64BigEndian(frame[(l3 + 32)..]));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static MacAddress ReadMac(ReadOnlySpan<byte> at) =>
        new(((ulong)BinaryPrimitives.ReadUInt16BigEndian(at) << 32) | BinaryPrimitives.ReadUInt32BigEndian(at[2..]));
}
