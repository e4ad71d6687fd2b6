using DashFlow.Model;

namespace DashFlow.Dataplane.Packets;

/// <summary>Where the headers of one Ethernet/IP/L4 packet sit in a frame (the outermost or the innermost one).</summary>
/// <remarks>Offsets are from the start of the frame; -1 means the header is absent.</remarks>
public struct HeaderOffsets
{
    /// <summary>Start of the Ethernet header.</summary>
    public int EthernetOffset;

    /// <summary>Destination MAC of this Ethernet header.</summary>
    public MacAddress DstMac;

    /// <summary>Source MAC of this Ethernet header.</summary>
    public MacAddress SrcMac;

    /// <summary>Number of VLAN tags (802.1Q, 802.1ad) between the MACs and the EtherType.</summary>
    public int VlanCount;

    /// <summary>TCI of the first (outer) VLAN tag.</summary>
    public ushort OuterVlanTci;

    /// <summary>TCI of the second VLAN tag (QinQ).</summary>
    public ushort InnerVlanTci;

    /// <summary>The EtherType after the VLAN tags.</summary>
    public ushort EtherType;

    /// <summary>Start of the IP header, or -1.</summary>
    public int L3Offset;

    /// <summary>4 or 6 (0 when there is no IP header).</summary>
    public byte IpVersion;

    /// <summary>IPv4: IHL*4. IPv6: 40 plus the extension headers up to the L4 header (or the fragment header's end).</summary>
    public int IpHeaderLength;

    /// <summary>End of the IP packet by its header (IPv4 total length, IPv6 payload length); may exceed the captured frame.</summary>
    public int L3End;

    /// <summary>The L4 protocol (after IPv6 extension headers).</summary>
    public byte L4Protocol;

    /// <summary>Start of the L4 header, or -1 (no IP, or a non-first fragment).</summary>
    public int L4Offset;

    /// <summary>IPv6 fragment header offset, or -1.</summary>
    public int FragmentHeaderOffset;

    /// <summary>True for an IPv4 or IPv6 fragment.</summary>
    public bool IsFragment;

    /// <summary>Fragment offset in 8-byte units.</summary>
    public ushort FragmentOffset;

    /// <summary>The more-fragments flag.</summary>
    public bool MoreFragments;

    /// <summary>True when the capture holds fewer bytes than the IP header says.</summary>
    public readonly bool IsCaptureTruncated(int frameLength) => L3End > frameLength;
}

/// <summary>The 5-tuple quoted by an ICMP or ICMPv6 error, as it appears in the quote (the offending packet's direction).</summary>
public struct QuotedFlow
{
    /// <summary>The quoted packet's L4 protocol.</summary>
    public byte IpProtocol;

    /// <summary>The quoted packet's source address.</summary>
    public IpAddress SrcIp;

    /// <summary>The quoted packet's destination address.</summary>
    public IpAddress DstIp;

    /// <summary>The quoted source port (ICMP echo: identifier; other ICMP: type).</summary>
    public ushort SrcPort;

    /// <summary>The quoted destination port (ICMP echo: identifier; other ICMP: code).</summary>
    public ushort DstPort;

    /// <summary>Offset of the quoted IP header in the frame.</summary>
    public int L3Offset;

    /// <summary>The key of the quoted packet's flow (in the quoted packet's direction).</summary>
    public readonly FlowKey ToFlowKey(MacAddress eniMac, ushort vnetId) => new(eniMac, vnetId, IpProtocol, SrcIp, DstIp, SrcPort, DstPort);
}

/// <summary>
/// The result of <see cref="PacketParser.Parse"/>: the layer offsets of the outermost and innermost packet, the innermost
/// tunnel, and the innermost packet's flow fields. A value type with no references: parsing allocates nothing.
/// </summary>
public struct ParsedPacket
{
    /// <summary><see cref="DropReason.None"/> when the frame parsed; otherwise why it is dropped.</summary>
    public DropReason DropReason;

    /// <summary>The captured frame length the parser saw.</summary>
    public int FrameLength;

    /// <summary>Facts about the innermost packet.</summary>
    public PacketFlags Flags;

    /// <summary>The outermost packet's headers (the same as <see cref="Inner"/> without a tunnel).</summary>
    public HeaderOffsets Outer;

    /// <summary>The innermost packet's headers: the flow key comes from here.</summary>
    public HeaderOffsets Inner;

    /// <summary>The number of tunnel headers crossed.</summary>
    public int TunnelDepth;

    /// <summary>The innermost tunnel's kind.</summary>
    public TunnelKind TunnelKind;

    /// <summary>The innermost tunnel's VNI (VXLAN) or VSID (NVGRE): 24 bits, for the caller to map to a VNET id.</summary>
    public uint TunnelId;

    /// <summary>NVGRE flow id (the key's low byte); 0 for VXLAN.</summary>
    public byte TunnelFlowId;

    /// <summary>Offset of the innermost tunnel header (VXLAN header, or GRE header), or -1.</summary>
    public int TunnelHeaderOffset;

    /// <summary>Source address of the IP header that carries the innermost tunnel (the remote tunnel endpoint).</summary>
    public IpAddress TunnelSrcIp;

    /// <summary>Destination address of the IP header that carries the innermost tunnel (the local endpoint, e.g. the VIP).</summary>
    public IpAddress TunnelDstIp;

    /// <summary>Source MAC of the Ethernet header that carries the innermost tunnel.</summary>
    public MacAddress TunnelSrcMac;

    /// <summary>Destination MAC of the Ethernet header that carries the innermost tunnel.</summary>
    public MacAddress TunnelDstMac;

    /// <summary>The innermost L4 protocol.</summary>
    public byte IpProtocol;

    /// <summary>The innermost source address.</summary>
    public IpAddress SrcIp;

    /// <summary>The innermost destination address.</summary>
    public IpAddress DstIp;

    /// <summary>Source port; ICMP echo: identifier; other ICMP: type (D4, D16); 0 for non-first fragments.</summary>
    public ushort SrcPort;

    /// <summary>Destination port; ICMP echo: identifier; other ICMP: code (D4, D16); 0 for non-first fragments.</summary>
    public ushort DstPort;

    /// <summary>TCP flags (0 for other protocols).</summary>
    public TcpFlags TcpFlags;

    /// <summary>ICMP/ICMPv6 type.</summary>
    public byte IcmpType;

    /// <summary>ICMP/ICMPv6 code.</summary>
    public byte IcmpCode;

    /// <summary>The quoted flow of an ICMP error (valid when <see cref="PacketFlags.HasQuoted"/> is set).</summary>
    public QuotedFlow Quoted;

    /// <summary>True when the frame parsed.</summary>
    public readonly bool IsValid => DropReason == DropReason.None;

    /// <summary>True for IPv6 innermost packets.</summary>
    public readonly bool IsIpv6 => Inner.IpVersion == 6;

    /// <summary>True for a fragment with no L4 header.</summary>
    public readonly bool IsNonFirstFragment => (Flags & PacketFlags.NonFirstFragment) != 0;

    /// <summary>True for an ICMP/ICMPv6 error message.</summary>
    public readonly bool IsIcmpError => (Flags & PacketFlags.IcmpError) != 0;

    /// <summary>True for an ICMP/ICMPv6 echo request or reply.</summary>
    public readonly bool IsIcmpEcho => (Flags & PacketFlags.IcmpEcho) != 0;

    /// <summary>True for an ICMPv4 echo request (8) or ICMPv6 echo request (128).</summary>
    public readonly bool IsIcmpEchoRequest => IsIcmpEcho && IcmpType is 8 or 128;

    /// <summary>True for a TCP packet with SYN and without ACK (DASH's <c>flags == 0x02</c> accepts SYN alone).</summary>
    public readonly bool IsTcpSyn => IpProtocol == IpProtocols.Tcp && (TcpFlags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst | TcpFlags.Fin)) == TcpFlags.Syn;

    /// <summary>The innermost Ethernet header's source MAC.</summary>
    public readonly MacAddress InnerSrcMac => Inner.SrcMac;

    /// <summary>The innermost Ethernet header's destination MAC.</summary>
    public readonly MacAddress InnerDstMac => Inner.DstMac;

    /// <summary>Offset of the innermost Ethernet frame (the frame a VXLAN/NVGRE decapsulation emits).</summary>
    public readonly int InnerFrameOffset => Inner.EthernetOffset;

    /// <summary>The flow key of the innermost packet (D3), for the given ENI and VNET.</summary>
    public readonly FlowKey ToFlowKey(MacAddress eniMac, ushort vnetId) => new(eniMac, vnetId, IpProtocol, SrcIp, DstIp, SrcPort, DstPort);

    /// <summary>A 32-bit hash of the innermost 5-tuple (for the outer UDP source port and the NVGRE flow id).</summary>
    public readonly uint FlowHash()
    {
        ulong h = (SrcIp.High ^ DstIp.High) * 0x9E3779B97F4A7C15UL;
        h ^= (SrcIp.Low + DstIp.Low) * 0xC2B2AE3D27D4EB4FUL;
        h ^= ((ulong)SrcPort << 24 | (ulong)DstPort << 8 | IpProtocol) * 0x165667B19E3779F9UL;
        h ^= h >> 29;
        h *= 0xBF58476D1CE4E5B9UL;
        h ^= h >> 32;
        return (uint)h;
    }
}
