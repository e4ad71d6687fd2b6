namespace DashFlow.Dataplane.Packets;

/// <summary>EtherType values the parser knows.</summary>
public static class EtherTypes
{
    public const ushort Ipv4 = 0x0800;
    public const ushort Arp = 0x0806;
    public const ushort Vlan = 0x8100;
    public const ushort Ipv6 = 0x86DD;
    public const ushort QinQ = 0x88A8;
    public const ushort QinQLegacy = 0x9100;
    public const ushort TransparentEthernetBridging = 0x6558;
}

/// <summary>IP protocol numbers the parser knows.</summary>
public static class IpProtocols
{
    public const byte HopByHop = 0;
    public const byte Icmp = 1;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Ipv6Routing = 43;
    public const byte Ipv6Fragment = 44;
    public const byte Gre = 47;
    public const byte Esp = 50;
    public const byte Ah = 51;
    public const byte IcmpV6 = 58;
    public const byte Ipv6NoNext = 59;
    public const byte Ipv6DestinationOptions = 60;
    public const byte Sctp = 132;
}

/// <summary>TCP flag bits (byte 13 of the TCP header).</summary>
[Flags]
public enum TcpFlags : byte
{
    None = 0,
    Fin = 0x01,
    Syn = 0x02,
    Rst = 0x04,
    Psh = 0x08,
    Ack = 0x10,
    Urg = 0x20,
    Ece = 0x40,
    Cwr = 0x80,
}

/// <summary>The kind of tunnel the parser went through.</summary>
public enum TunnelKind : byte
{
    None = 0,

    /// <summary>VXLAN (RFC 7348): UDP destination port 4789, 8-byte header with a 24-bit VNI.</summary>
    Vxlan = 1,

    /// <summary>NVGRE (RFC 7637): GRE protocol 0x6558; the key is VSID &lt;&lt; 8 | flow id.</summary>
    Nvgre = 2,
}

/// <summary>Why a frame could not be parsed (the pipeline counts drops by this reason).</summary>
public enum DropReason : byte
{
    /// <summary>Parsed: not a drop.</summary>
    None = 0,

    /// <summary>The captured bytes end before a header the parser needs.</summary>
    Truncated,

    /// <summary>An EtherType other than IPv4/IPv6 after any VLAN tags (ARP, LLC, STP, ...).</summary>
    UnsupportedEtherType,

    /// <summary>The IP version nibble does not match the EtherType.</summary>
    BadIpVersion,

    /// <summary>IPv4 IHL below 5.</summary>
    BadIpHeaderLength,

    /// <summary>IPv4 total length below the header length, or an IPv6 payload length that cannot hold the headers.</summary>
    BadIpTotalLength,

    /// <summary>An IPv6 extension header chain that runs past the packet or is too long.</summary>
    BadIpv6ExtensionHeader,

    /// <summary>More VLAN tags than the parser accepts.</summary>
    TooManyVlanTags,

    /// <summary>TCP data offset below 5 or past the end of the IP packet.</summary>
    BadTcpHeaderLength,

    /// <summary>UDP length below 8 or past the end of the IP packet.</summary>
    BadUdpLength,

    /// <summary>The IP packet is too short for its L4 header (TCP, UDP, ICMP, SCTP).</summary>
    BadL4Length,

    /// <summary>A VXLAN or NVGRE header that runs past the packet.</summary>
    BadTunnelHeader,

    /// <summary>More nested tunnels than the parser follows.</summary>
    TunnelTooDeep,

    /// <summary>The capture's link type is not Ethernet (used by callers that read captures).</summary>
    UnsupportedLinkType,
}

/// <summary>Facts about a parsed packet.</summary>
[Flags]
public enum PacketFlags : ushort
{
    None = 0,

    /// <summary>The innermost IP packet is a fragment (IPv4 MF/offset, or an IPv6 fragment header).</summary>
    Fragment = 0x0001,

    /// <summary>A fragment with a non-zero offset: it has no L4 header, so the ports are zero.</summary>
    NonFirstFragment = 0x0002,

    /// <summary>ICMP echo request or reply (ICMPv4 8/0, ICMPv6 128/129): both ports hold the identifier (D4).</summary>
    IcmpEcho = 0x0004,

    /// <summary>ICMP/ICMPv6 error message: never creates flows; <see cref="ParsedPacket.Quoted"/> holds the quoted packet.</summary>
    IcmpError = 0x0008,

    /// <summary>An ICMP error whose quoted IP header and ports could be read.</summary>
    HasQuoted = 0x0010,

    /// <summary>The innermost packet came out of at least one tunnel.</summary>
    Tunneled = 0x0020,

    /// <summary>The capture holds fewer bytes than the innermost IP header says (snap length); headers are complete.</summary>
    CaptureTruncated = 0x0040,

    /// <summary>The L4 protocol has ports (TCP, UDP, SCTP) and they were read.</summary>
    HasPorts = 0x0080,
}
