using System.Buffers.Binary;
using DashFlow.Dataplane.Packets;
using DashFlow.Model;
using PacketDotNet;

namespace DashFlow.Dataplane.Tests;

public sealed class ParserCaseTests
{
    private static ParsedPacket ParseOk(byte[] frame)
    {
        var drop = PacketParser.Parse(frame, out var p);
        Assert.Equal(DropReason.None, drop);
        return p;
    }

    [Fact]
    public void Ipv4Options_AreSkipped_PortsMatchPacketDotNet()
    {
        var options = new byte[] { 0x94, 0x04, 0, 0, 1, 1, 1, 0 }; // router alert, NOPs, end
        var frame = RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Tcp, RawFrames.Tcp(40000, 443, TcpFlags.Syn), options));
        var p = ParseOk(frame);
        Assert.Equal(28, p.Inner.IpHeaderLength);
        Assert.Equal(14 + 28, p.Inner.L4Offset);
        var tcp = TestPackets.Parse(frame).Extract<TcpPacket>();
        Assert.Equal(tcp.SourcePort, p.SrcPort);
        Assert.Equal(tcp.DestinationPort, p.DstPort);
        Assert.True(p.IsTcpSyn);
        Assert.True(TestPackets.Parse(frame).Extract<IPv4Packet>().ValidChecksum);
    }

    [Fact]
    public void Ipv4Fragments_FirstHasPorts_OthersAreFlaggedWithoutPorts()
    {
        var first = ParseOk(RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Udp, RawFrames.Udp(5353, 53, 64), moreFragments: true)));
        Assert.True((first.Flags & PacketFlags.Fragment) != 0);
        Assert.False(first.IsNonFirstFragment);
        Assert.Equal((5353, 53), (first.SrcPort, first.DstPort));
        Assert.True(first.Inner.MoreFragments);

        var later = ParseOk(RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Udp, new byte[24], fragmentOffset: 9, moreFragments: true)));
        Assert.True(later.IsNonFirstFragment);
        Assert.Equal(IpProtocols.Udp, later.IpProtocol);
        Assert.Equal((0, 0), (later.SrcPort, later.DstPort));
        Assert.Equal(-1, later.Inner.L4Offset);
        Assert.Equal(9, later.Inner.FragmentOffset);

        var last = ParseOk(RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Udp, new byte[3], fragmentOffset: 12)));
        Assert.True(last.IsNonFirstFragment);
        Assert.False(last.Inner.MoreFragments);
    }

    [Fact]
    public void Ipv6ExtensionHeaders_AreWalked_ToTheL4Header()
    {
        var tcp = RawFrames.Tcp(1234, 80, TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr);
        var chain = RawFrames.Concat(
            RawFrames.ExtensionHeader(IpProtocols.Ipv6DestinationOptions, 8),  // hop-by-hop
            RawFrames.ExtensionHeader(IpProtocols.Ipv6Routing, 16),            // destination options
            RawFrames.ExtensionHeader(IpProtocols.Tcp, 24),                    // routing
            tcp);
        var frame = RawFrames.Ethernet(EtherTypes.Ipv6, RawFrames.Ipv6(IpProtocols.HopByHop, chain));
        var p = ParseOk(frame);
        Assert.Equal(IpProtocols.Tcp, p.IpProtocol);
        Assert.Equal(40 + 48, p.Inner.IpHeaderLength);
        Assert.Equal((1234, 80), (p.SrcPort, p.DstPort));
        Assert.True(p.IsTcpSyn);

        // PacketDotNet 1.4.8 misreads the length of every extension header after the first, so it is the oracle for
        // one-header chains only.
        foreach (var (next, length) in new[] { (IpProtocols.HopByHop, 8), (IpProtocols.Ipv6DestinationOptions, 16), (IpProtocols.Ipv6Routing, 24) })
        {
            var single = RawFrames.Ethernet(EtherTypes.Ipv6, RawFrames.Ipv6(next, RawFrames.Concat(RawFrames.ExtensionHeader(IpProtocols.Tcp, length), tcp)));
            var q = ParseOk(single);
            var oracle = TestPackets.Parse(single).Extract<IPv6Packet>();
            Assert.Equal(oracle.ExtensionHeadersLength, q.Inner.IpHeaderLength - 40);
            Assert.Equal((byte)oracle.Protocol, q.IpProtocol);
            var oracleTcp = oracle.Extract<TcpPacket>();
            Assert.Equal((oracleTcp.SourcePort, oracleTcp.DestinationPort), (q.SrcPort, q.DstPort));
        }
    }

    [Fact]
    public void Ipv6FragmentHeader_FirstHasPorts_OthersDoNot()
    {
        var first = ParseOk(RawFrames.Ethernet(EtherTypes.Ipv6, RawFrames.Ipv6(IpProtocols.Ipv6Fragment,
            RawFrames.Concat(RawFrames.FragmentHeader(IpProtocols.Udp, 0, more: true), RawFrames.Udp(7, 9, 32)))));
        Assert.True((first.Flags & PacketFlags.Fragment) != 0);
        Assert.False(first.IsNonFirstFragment);
        Assert.Equal((7, 9), (first.SrcPort, first.DstPort));
        Assert.Equal(14 + 40, first.Inner.FragmentHeaderOffset);

        var later = ParseOk(RawFrames.Ethernet(EtherTypes.Ipv6, RawFrames.Ipv6(IpProtocols.HopByHop,
            RawFrames.Concat(RawFrames.ExtensionHeader(IpProtocols.Ipv6Fragment, 8), RawFrames.FragmentHeader(IpProtocols.Udp, 5, more: false), new byte[16]))));
        Assert.True(later.IsNonFirstFragment);
        Assert.Equal(IpProtocols.Udp, later.IpProtocol);
        Assert.Equal((0, 0), (later.SrcPort, later.DstPort));
        Assert.Equal(5, later.Inner.FragmentOffset);
    }

    [Fact]
    public void Nvgre_GivesVsidAndFlowId_AndTheInnerKey()
    {
        var inner = RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Udp, RawFrames.Udp(1234, 90), src: 0x0A010233, dst: 0x0A010232));
        var frame = RawFrames.Nvgre(0x123456, 0x9A, inner);
        var p = ParseOk(frame);
        Assert.Equal(TunnelKind.Nvgre, p.TunnelKind);
        Assert.Equal(0x123456u, p.TunnelId);
        Assert.Equal(0x9A, p.TunnelFlowId);
        Assert.Equal(IpProtocols.Gre, p.Outer.L4Protocol);
        Assert.Equal(frame.Length - inner.Length, p.InnerFrameOffset);
        Assert.Equal(IpAddress.Parse("10.1.2.51"), p.SrcIp);
        Assert.Equal((1234, 90), (p.SrcPort, p.DstPort));

        var gre = TestPackets.Parse(frame).Extract<GrePacket>();
        Assert.NotNull(gre);
        Assert.Equal(EthernetType.TransparentEthernetBridging, gre.Protocol);
        Assert.True(gre.HasKey);
    }

    [Fact]
    public void NestedVxlan_UsesTheInnermostVni_AndKeepsTheOutermostOffsets()
    {
        var rng = new Random(7);
        var inner = TestPackets.BuildInner(rng, out var spec, v6Choice: false, protocolChoice: 6);
        var once = TestPackets.WrapVxlan(rng, inner, 100, outerV6: false, out _);
        var twice = TestPackets.WrapVxlan(rng, once, 200, outerV6: true, out _);
        var p = ParseOk(twice);
        Assert.Equal(2, p.TunnelDepth);
        Assert.Equal(100u, p.TunnelId);
        Assert.Equal(6, p.Outer.IpVersion);
        Assert.Equal(twice.Length - inner.Length, p.InnerFrameOffset);
        Assert.Equal(spec.SrcPort, p.SrcPort);

        var deep = inner;
        for (int i = 0; i <= PacketParser.MaxTunnelDepth; i++)
        {
            deep = TestPackets.WrapVxlan(rng, deep, (uint)i, outerV6: false, out _);
        }

        Assert.Equal(DropReason.TunnelTooDeep, PacketParser.Parse(deep, out _));
    }

    [Fact]
    public void IcmpEcho_RequestKeyReversed_IsTheReplyKey()
    {
        var eni = MacAddress.Parse("00:00:02:03:04:05");
        var request = ParseOk(RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Icmp, RawFrames.Icmp(8, 0, 77), src: 1, dst: 2)));
        var reply = ParseOk(RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Icmp, RawFrames.Icmp(0, 0, 77), src: 2, dst: 1)));
        Assert.True(request.IsIcmpEchoRequest);
        Assert.False(reply.IsIcmpEchoRequest);
        Assert.Equal((77, 77), (request.SrcPort, request.DstPort));
        Assert.Equal(reply.ToFlowKey(eni, 5), request.ToFlowKey(eni, 5).Reversed());
    }

    [Fact]
    public void IcmpError_QuotingAnEcho_ExposesTheEchoKey_AndOtherIcmpUsesTypeAndCode()
    {
        var quoted = RawFrames.Ipv4(IpProtocols.Icmp, RawFrames.Icmp(8, 0, 4242), src: 0x0A000001, dst: 0x08080808);
        var error = ParseOk(RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Icmp, RawFrames.Icmp(11, 0, 0, quoted), src: 0xC0A80001, dst: 0x0A000001)));
        Assert.True(error.IsIcmpError);
        Assert.True((error.Flags & PacketFlags.HasQuoted) != 0);
        Assert.Equal((11, 0), (error.SrcPort, error.DstPort));
        Assert.Equal(IpProtocols.Icmp, error.Quoted.IpProtocol);
        Assert.Equal(IpAddress.Parse("8.8.8.8"), error.Quoted.DstIp);
        Assert.Equal((4242, 4242), (error.Quoted.SrcPort, error.Quoted.DstPort));
        Assert.Equal(IpAddress.Parse("10.0.0.1"), error.Quoted.ToFlowKey(default, 0).SrcIp);

        var shortQuote = ParseOk(RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Icmp, RawFrames.Icmp(3, 3, 0, quoted.AsSpan(0, 12)))));
        Assert.True(shortQuote.IsIcmpError);
        Assert.False((shortQuote.Flags & PacketFlags.HasQuoted) != 0);

        var routerSolicitation = ParseOk(RawFrames.Ethernet(EtherTypes.Ipv6, RawFrames.Ipv6(IpProtocols.IcmpV6, RawFrames.Icmp(133, 0, 0))));
        Assert.False(routerSolicitation.IsIcmpError || routerSolicitation.IsIcmpEcho);
        Assert.Equal((133, 0), (routerSolicitation.SrcPort, routerSolicitation.DstPort));
    }

    public static TheoryData<string, byte[], DropReason> Malformed() => new()
    {
        { "empty", [], DropReason.Truncated },
        { "short ethernet", new byte[13], DropReason.Truncated },
        { "ARP", RawFrames.Ethernet(EtherTypes.Arp, new byte[28]), DropReason.UnsupportedEtherType },
        { "802.3 length", RawFrames.Ethernet(0x0040, new byte[64]), DropReason.UnsupportedEtherType },
        { "IPv6 in an IPv4 EtherType", RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv6(IpProtocols.Udp, RawFrames.Udp(1, 2))), DropReason.BadIpVersion },
        { "IHL 4", RawFrames.Ethernet(EtherTypes.Ipv4, Patch(RawFrames.Ipv4(IpProtocols.Udp, RawFrames.Udp(1, 2)), 0, 0x44)), DropReason.BadIpHeaderLength },
        { "total length below IHL", RawFrames.Ethernet(EtherTypes.Ipv4, Patch(RawFrames.Ipv4(IpProtocols.Udp, RawFrames.Udp(1, 2)), 3, 10)), DropReason.BadIpTotalLength },
        { "IP header cut", RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Udp, RawFrames.Udp(1, 2)).AsSpan(0, 19)), DropReason.Truncated },
        { "TCP data offset 3", RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Tcp, RawFrames.Tcp(1, 2, TcpFlags.Syn, 3))), DropReason.BadTcpHeaderLength },
        { "TCP data offset past the packet", RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Tcp, Patch(RawFrames.Tcp(1, 2, TcpFlags.Syn), 12, 0xF0))), DropReason.BadTcpHeaderLength },
        { "UDP length 4", RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Udp, Patch(RawFrames.Udp(1, 2), 5, 4))), DropReason.BadUdpLength },
        { "UDP in 6 IP bytes", RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Udp, new byte[6])), DropReason.BadL4Length },
        { "IPv6 extension past the payload", RawFrames.Ethernet(EtherTypes.Ipv6, RawFrames.Ipv6(IpProtocols.HopByHop, Patch(RawFrames.ExtensionHeader(IpProtocols.Udp, 8), 1, 4))), DropReason.BadIpv6ExtensionHeader },
        { "five VLAN tags", TestPackets.AddVlans(RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Udp, RawFrames.Udp(1, 2))), [1, 2, 3, 4, 5]), DropReason.TooManyVlanTags },
        { "VXLAN header cut", RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Udp, RawFrames.Udp(1, 4789, 4))), DropReason.BadTunnelHeader },
        { "VXLAN inner frame cut", RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Udp, Patch(RawFrames.Udp(1, 4789, 16), 8, 0x08))), DropReason.Truncated },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedFrames_AreDroppedWithTheirReason(string name, byte[] frame, DropReason expected)
    {
        var drop = PacketParser.Parse(frame, out var p);
        Assert.True(expected == drop, $"{name}: expected {expected}, got {drop}");
        Assert.Equal(drop, p.DropReason);
        Assert.False(p.IsValid);
    }

    [Fact]
    public void SnapLengthCut_KeepsTheFlow_AndSaysSo()
    {
        var frame = RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Tcp, RawFrames.Concat(RawFrames.Tcp(5, 6, TcpFlags.Ack), new byte[400])));
        var p = ParseOk(frame.AsSpan(0, 68).ToArray());
        Assert.True((p.Flags & PacketFlags.CaptureTruncated) != 0);
        Assert.Equal((5, 6), (p.SrcPort, p.DstPort));

        // Ethernet padding after a short IP packet is not part of it.
        var padded = RawFrames.Concat(RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Udp, RawFrames.Udp(1, 2, 0))), new byte[18]);
        var q = ParseOk(padded);
        Assert.Equal(14 + 28, q.Inner.L3End);
        Assert.Equal(PacketFlags.HasPorts, q.Flags);
    }

    [Fact]
    public void VlanTags_AreRecorded()
    {
        var frame = TestPackets.AddVlans(RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Udp, RawFrames.Udp(1, 2))), [0x2005, 0x0123]);
        var p = ParseOk(frame);
        Assert.Equal(2, p.Inner.VlanCount);
        Assert.Equal(0x2005, p.Inner.OuterVlanTci);
        Assert.Equal(0x0123, p.Inner.InnerVlanTci);
        Assert.Equal(22, p.Inner.L3Offset);
        Assert.Equal(0x88A8, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)));
    }

    private static byte[] Patch(byte[] bytes, int index, byte value)
    {
        bytes[index] = value;
        return bytes;
    }
}
