using System.Buffers.Binary;
using DashFlow.Model;

namespace DashFlow.Dataplane.Packets;

/// <summary>
/// In-place rewrites of the innermost packet of a parsed frame: MACs, IP addresses with masks (SNAT/DNAT) and L4 ports, with
/// incremental (RFC 1624) updates of the IPv4 header checksum and the TCP, UDP and ICMP checksums. No allocation.
/// </summary>
/// <remarks>
/// An IPv4 UDP checksum of 0 (none) stays 0; a UDP checksum that becomes 0 is sent as 0xFFFF. Non-first fragments carry no
/// L4 header: an address rewrite fixes only the IP header, and a port rewrite is refused. The frame must be the one the
/// packet was parsed from; the packet's flow fields are updated to the new values. In a tunnelled frame only the innermost
/// packet changes: a non-zero outer UDP checksum would go stale, so the pipeline rewrites the decapsulated inner frame.
/// An IPv6 packet whose routing header still has segments left has its final destination there, not in the header: a DNAT
/// on it would leave the L4 checksum wrong, and such packets are not NAT candidates.
/// </remarks>
public static class PacketRewriter
{
    /// <summary>Sets the innermost Ethernet source MAC (SET_SMAC).</summary>
    /// <returns>False (nothing written) when the packet did not parse.</returns>
    public static bool TrySetInnerSourceMac(Span<byte> frame, ref ParsedPacket packet, MacAddress mac)
    {
        if (!packet.IsValid || frame.Length < packet.Inner.EthernetOffset + 12)
        {
            return false;
        }

        mac.WriteBytes(frame[(packet.Inner.EthernetOffset + 6)..]);
        packet.Inner.SrcMac = mac;
        if (packet.TunnelDepth == 0)
        {
            packet.Outer.SrcMac = mac;
        }

        return true;
    }

    /// <summary>Sets the innermost Ethernet destination MAC (SET_DMAC).</summary>
    /// <returns>False (nothing written) when the packet did not parse.</returns>
    public static bool TrySetInnerDestinationMac(Span<byte> frame, ref ParsedPacket packet, MacAddress mac)
    {
        if (!packet.IsValid || frame.Length < packet.Inner.EthernetOffset + 12)
        {
            return false;
        }

        mac.WriteBytes(frame[packet.Inner.EthernetOffset..]);
        packet.Inner.DstMac = mac;
        if (packet.TunnelDepth == 0)
        {
            packet.Outer.DstMac = mac;
        }

        return true;
    }

    /// <summary>SNAT: source = (source &amp; ~mask) | (address &amp; mask).</summary>
    /// <returns>False (nothing written) when the packet did not parse or the address family differs from the packet's.</returns>
    public static bool TryRewriteSourceIp(Span<byte> frame, ref ParsedPacket packet, IpAddress address, IpAddress mask)
    {
        if (!CanRewriteAddress(in packet, address, mask))
        {
            return false;
        }

        var updated = Merge(packet.SrcIp, address, mask);
        WriteAddress(frame, ref packet, source: true, updated);
        packet.SrcIp = updated;
        return true;
    }

    /// <summary>DNAT: destination = (destination &amp; ~mask) | (address &amp; mask).</summary>
    public static bool TryRewriteDestinationIp(Span<byte> frame, ref ParsedPacket packet, IpAddress address, IpAddress mask)
    {
        if (!CanRewriteAddress(in packet, address, mask))
        {
            return false;
        }

        var updated = Merge(packet.DstIp, address, mask);
        WriteAddress(frame, ref packet, source: false, updated);
        packet.DstIp = updated;
        return true;
    }

    /// <summary>SNAT_PORT: the TCP/UDP source port (ICMP echo: the identifier, which is both ports).</summary>
    public static bool TryRewriteSourcePort(Span<byte> frame, ref ParsedPacket packet, ushort port) =>
        TryRewritePort(frame, ref packet, port, source: true);

    /// <summary>DNAT_PORT: the TCP/UDP destination port (ICMP echo: the identifier, which is both ports).</summary>
    public static bool TryRewriteDestinationPort(Span<byte> frame, ref ParsedPacket packet, ushort port) =>
        TryRewritePort(frame, ref packet, port, source: false);

    private static bool CanRewriteAddress(in ParsedPacket packet, IpAddress address, IpAddress mask) =>
        packet.IsValid && packet.Inner.L3Offset >= 0 && address.IsV6 == packet.IsIpv6 && mask.IsV6 == packet.IsIpv6;

    private static IpAddress Merge(IpAddress old, IpAddress address, IpAddress mask) => old.IsV6
        ? IpAddress.FromV6((old.High & ~mask.High) | (address.High & mask.High), (old.Low & ~mask.Low) | (address.Low & mask.Low))
        : IpAddress.FromV4((old.V4 & ~mask.V4) | (address.V4 & mask.V4));

    private static void WriteAddress(Span<byte> frame, ref ParsedPacket packet, bool source, IpAddress updated)
    {
        ref var h = ref packet.Inner;
        int l3 = h.L3Offset;
        bool v6 = h.IpVersion == 6;
        int at = v6 ? l3 + (source ? 8 : 24) : l3 + (source ? 12 : 16);
        int length = v6 ? 16 : 4;
        Span<byte> old = stackalloc byte[16];
        frame.Slice(at, length).CopyTo(old);
        updated.WriteBytes(frame[at..]);
        var oldBytes = old[..length];
        var newBytes = frame.Slice(at, length);
        if (!v6)
        {
            var ipChecksum = frame.Slice(l3 + 10, 2);
            BinaryPrimitives.WriteUInt16BigEndian(ipChecksum, Checksum.Update(BinaryPrimitives.ReadUInt16BigEndian(ipChecksum), oldBytes, newBytes));
        }

        // The pseudo-header holds the addresses: TCP, UDP and ICMPv6 checksums change (ICMPv4 does not use one).
        int offset = L4ChecksumOffset(in packet, frame.Length);
        if (offset >= 0 && packet.IpProtocol != IpProtocols.Icmp)
        {
            UpdateL4Checksum(frame, in packet, offset, oldBytes, newBytes);
        }
    }

    private static bool TryRewritePort(Span<byte> frame, ref ParsedPacket packet, ushort port, bool source)
    {
        ref var h = ref packet.Inner;
        if (!packet.IsValid || h.L4Offset < 0)
        {
            return false;
        }

        int l4 = h.L4Offset;
        int portAt;
        switch (packet.IpProtocol)
        {
            case IpProtocols.Tcp:
            case IpProtocols.Udp:
                portAt = l4 + (source ? 0 : 2);
                break;
            case IpProtocols.Icmp or IpProtocols.IcmpV6 when packet.IsIcmpEcho:
                portAt = l4 + 4;
                break;
            default:
                return false;
        }

        int checksumAt = L4ChecksumOffset(in packet, frame.Length);
        if (checksumAt < 0)
        {
            return false;
        }

        Span<byte> old = stackalloc byte[2];
        frame.Slice(portAt, 2).CopyTo(old);
        BinaryPrimitives.WriteUInt16BigEndian(frame[portAt..], port);
        UpdateL4Checksum(frame, in packet, checksumAt, old, frame.Slice(portAt, 2));

        if (packet.IsIcmpEcho)
        {
            packet.SrcPort = port;
            packet.DstPort = port;
        }
        else if (source)
        {
            packet.SrcPort = port;
        }
        else
        {
            packet.DstPort = port;
        }

        return true;
    }

    /// <summary>Where the innermost L4 checksum lives, or -1 (no L4 header, not captured, or a protocol without one).</summary>
    private static int L4ChecksumOffset(in ParsedPacket packet, int frameLength)
    {
        int l4 = packet.Inner.L4Offset;
        if (l4 < 0)
        {
            return -1;
        }

        int at = packet.IpProtocol switch
        {
            IpProtocols.Tcp => l4 + 16,
            IpProtocols.Udp => l4 + 6,
            IpProtocols.Icmp when !packet.IsIpv6 => l4 + 2,
            IpProtocols.IcmpV6 when packet.IsIpv6 => l4 + 2,
            _ => -1,
        };
        return at >= 0 && at + 2 <= frameLength ? at : -1;
    }

    private static void UpdateL4Checksum(Span<byte> frame, in ParsedPacket packet, int checksumAt, ReadOnlySpan<byte> oldBytes, ReadOnlySpan<byte> newBytes)
    {
        var field = frame.Slice(checksumAt, 2);
        ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(field);
        bool udp = packet.IpProtocol == IpProtocols.Udp;
        if (udp && checksum == 0)
        {
            // IPv4: no checksum, and it stays that way. IPv6: zero is only legal for tunnels (RFC 6935); keep it.
            return;
        }

        ushort updated = Checksum.Update(checksum, oldBytes, newBytes);
        if (udp && updated == 0)
        {
            updated = 0xFFFF;
        }

        BinaryPrimitives.WriteUInt16BigEndian(field, updated);
    }
}
