using System.Buffers.Binary;
using System.Net;
using DashFlow.Dataplane.Packets;
using DashFlow.Model;
using PacketDotNet;
using Xunit.Abstractions;

namespace DashFlow.Dataplane.Tests;

public sealed class RewriteTests(ITestOutputHelper output)
{
    /// <summary>The bytes of (old &amp; ~mask) | (address &amp; mask), computed on byte arrays.</summary>
    private static IPAddress Merge(IPAddress old, IPAddress address, IPAddress mask)
    {
        var o = old.GetAddressBytes();
        var a = address.GetAddressBytes();
        var m = mask.GetAddressBytes();
        return new IPAddress(o.Select((b, i) => (byte)((b & ~m[i]) | (a[i] & m[i]))).ToArray());
    }

    private static IPAddress RandomMask(Random rng, bool v6)
    {
        int bits = v6 ? 128 : 32;
        var bytes = new byte[bits / 8];
        if (rng.Next(4) == 0)
        {
            rng.NextBytes(bytes); // arbitrary bit pattern
        }
        else
        {
            int prefix = rng.Next(bits + 1);
            for (int i = 0; i < prefix; i++)
            {
                bytes[i / 8] |= (byte)(0x80 >> (i % 8));
            }
        }

        return new IPAddress(bytes);
    }

    /// <summary>Checks every checksum of the frame with PacketDotNet; returns the IP packet.</summary>
    internal static IPPacket AssertChecksumsValid(byte[] frame, int vlanCount, string context)
    {
        var top = TestPackets.Parse(frame);
        var ip = vlanCount > 1
            ? (frame[14 + 4 * vlanCount] >> 4 == 6
                ? new IPv6Packet(new PacketDotNet.Utils.ByteArraySegment(frame, 14 + 4 * vlanCount, frame.Length - 14 - 4 * vlanCount))
                : (IPPacket)new IPv4Packet(new PacketDotNet.Utils.ByteArraySegment(frame, 14 + 4 * vlanCount, frame.Length - 14 - 4 * vlanCount)))
            : top.Extract<IPPacket>();
        if (ip is IPv4Packet v4)
        {
            Assert.True(v4.ValidChecksum, $"{context}: IPv4 header checksum");
        }

        switch (ip.Protocol)
        {
            case ProtocolType.Tcp:
                Assert.True(ip.Extract<TcpPacket>().ValidTcpChecksum, $"{context}: TCP checksum");
                break;
            case ProtocolType.Udp:
                var udp = ip.Extract<UdpPacket>();
                Assert.True(udp.Checksum == 0 ? ip is IPv4Packet : udp.ValidUdpChecksum, $"{context}: UDP checksum");
                break;
            case ProtocolType.Icmp:
                Assert.True(ip.Extract<IcmpV4Packet>().ValidIcmpChecksum, $"{context}: ICMP checksum");
                break;
            case ProtocolType.IcmpV6:
                Assert.True(ip.Extract<IcmpV6Packet>().ValidIcmpChecksum, $"{context}: ICMPv6 checksum");
                break;
        }

        return ip;
    }

    [Fact]
    public void RandomRewrites_KeepEveryChecksumValid_AndSetExactlyTheMaskedBits()
    {
        var outputs = new List<byte[]>();
        for (int seed = 0; seed < 2000; seed++)
        {
            var rng = new Random(300_000 + seed);
            var frame = TestPackets.BuildRandom(rng, out var spec, allowVxlan: false);
            bool zeroUdpChecksum = spec.Protocol == 17 && !spec.V6 && rng.Next(4) == 0;
            int l3 = 14 + 4 * spec.Vlans.Length;
            if (zeroUdpChecksum)
            {
                frame[l3 + 20 + 6] = 0;
                frame[l3 + 20 + 7] = 0;
            }

            Assert.Equal(DropReason.None, PacketParser.Parse(frame, out var p));
            string context = $"seed {seed} ({(spec.V6 ? "v6" : "v4")}, proto {spec.Protocol})";

            var snat = TestPackets.RandomAddress(rng, spec.V6);
            var snatMask = RandomMask(rng, spec.V6);
            var dnat = TestPackets.RandomAddress(rng, spec.V6);
            var dnatMask = RandomMask(rng, spec.V6);
            ushort sport = (ushort)rng.Next(65536);
            ushort dport = (ushort)rng.Next(65536);
            var smac = MacAddress.Parse("02:00:00:00:00:01");
            var dmac = MacAddress.Parse("00:bb:bb:bb:bb:bb");

            Assert.True(PacketRewriter.TryRewriteSourceIp(frame, ref p, IpAddress.From(snat), IpAddress.From(snatMask)));
            Assert.True(PacketRewriter.TryRewriteDestinationIp(frame, ref p, IpAddress.From(dnat), IpAddress.From(dnatMask)));
            bool ports = spec.Protocol is 6 or 17 || spec.IcmpEcho;
            Assert.Equal(ports, PacketRewriter.TryRewriteSourcePort(frame, ref p, sport));
            Assert.Equal(ports, PacketRewriter.TryRewriteDestinationPort(frame, ref p, dport));
            Assert.True(PacketRewriter.TrySetInnerSourceMac(frame, ref p, smac));
            Assert.True(PacketRewriter.TrySetInnerDestinationMac(frame, ref p, dmac));

            var ip = AssertChecksumsValid(frame, spec.Vlans.Length, context);
            Assert.Equal(Merge(spec.Src, snat, snatMask), ip.SourceAddress);
            Assert.Equal(Merge(spec.Dst, dnat, dnatMask), ip.DestinationAddress);
            Assert.Equal(smac.ToBytes(), frame[6..12]);
            Assert.Equal(dmac.ToBytes(), frame[..6]);
            if (zeroUdpChecksum)
            {
                Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(l3 + 26)));
            }

            // The updated flow fields are what a fresh parse reads.
            Assert.Equal(DropReason.None, PacketParser.Parse(frame, out var again));
            Assert.Equal(again.ToFlowKey(default, 0), p.ToFlowKey(default, 0));
            if (ports && spec.Protocol != 1 && spec.Protocol != 58)
            {
                Assert.Equal((sport, dport), (again.SrcPort, again.DstPort));
            }
            else if (spec.IcmpEcho)
            {
                Assert.Equal((dport, dport), (again.SrcPort, again.DstPort));
            }

            outputs.Add(frame);
        }

        var problems = Tshark.Problems(outputs);
        if (problems is null)
        {
            output.WriteLine("tshark not installed: PacketDotNet was the only oracle.");
            return;
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems.Take(20)));
    }

    /// <summary>Sets the L4 checksum with PacketDotNet (the frame's layers must be ones it decodes).</summary>
    private static byte[] WithOracleChecksums(byte[] frame)
    {
        var packet = TestPackets.Parse(frame);
        packet.Extract<TcpPacket>()?.UpdateTcpChecksum();
        packet.Extract<UdpPacket>()?.UpdateUdpChecksum();
        return packet.Bytes;
    }

    [Fact]
    public void Rewrites_BehindIpv4Options_Ipv6ExtensionHeaders_AndInAFirstFragment_KeepChecksumsValid()
    {
        var frames = new[]
        {
            RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Tcp, RawFrames.Concat(RawFrames.Tcp(1000, 80, TcpFlags.Syn), new byte[33]), [0x94, 0x04, 0, 0, 1, 1, 1, 0])),
            RawFrames.Ethernet(EtherTypes.Ipv6, RawFrames.Ipv6(IpProtocols.HopByHop, RawFrames.Concat(RawFrames.ExtensionHeader(IpProtocols.Udp, 8), RawFrames.Udp(53, 5353, 21)))),
            RawFrames.Ethernet(EtherTypes.Ipv6, RawFrames.Ipv6(IpProtocols.Ipv6DestinationOptions, RawFrames.Concat(RawFrames.ExtensionHeader(IpProtocols.Tcp, 16), RawFrames.Tcp(443, 40000, TcpFlags.Ack), new byte[7]))),
        }.Select(WithOracleChecksums).ToList();

        // A first fragment: the UDP checksum covers the whole datagram, and an incremental update stays right for it.
        var datagram = RawFrames.Udp(1111, 2222, 64);
        var whole = WithOracleChecksums(RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Udp, datagram)));
        var firstFragment = RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Udp, whole.AsSpan(34, 40), moreFragments: true));

        var outputs = new List<byte[]>();
        foreach (var original in frames.Append(firstFragment))
        {
            var frame = original.ToArray();
            Assert.Equal(DropReason.None, PacketParser.Parse(frame, out var p));
            bool v6 = p.IsIpv6;
            var mask = IpAddress.Parse(v6 ? "ffff:ffff:ffff:ffff::" : "255.255.0.0");
            Assert.True(PacketRewriter.TryRewriteSourceIp(frame, ref p, IpAddress.Parse(v6 ? "2001:db8:aaaa:bbbb::" : "203.0.0.0"), mask));
            Assert.True(PacketRewriter.TryRewriteDestinationIp(frame, ref p, IpAddress.Parse(v6 ? "2001:db8:cccc:dddd::" : "198.51.0.0"), mask));
            Assert.True(PacketRewriter.TryRewriteSourcePort(frame, ref p, 61000));
            Assert.True(PacketRewriter.TryRewriteDestinationPort(frame, ref p, 8080));
            if (original != firstFragment)
            {
                AssertChecksumsValid(frame, 0, $"{p.IpProtocol} behind {p.Inner.IpHeaderLength}-byte IP header");
            }
            else
            {
                // Reassemble by hand: the rewritten first fragment's UDP header with the rest of the datagram.
                Assert.True(TestPackets.Parse(frame).Extract<IPv4Packet>().ValidChecksum);
                var reassembled = RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Udp, RawFrames.Concat(frame[34..74], whole[74..]),
                    src: BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(26)), dst: BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(30))));
                Assert.True(TestPackets.Parse(reassembled).Extract<UdpPacket>().ValidUdpChecksum);
            }

            outputs.Add(frame);
        }

        var problems = Tshark.Problems(outputs);
        Assert.True(problems is null || problems.Count == 0, string.Join('\n', problems ?? []));
    }

    [Fact]
    public void RefusedRewrites_LeaveTheFrameAlone()
    {
        var rng = new Random(5);
        var frame = TestPackets.BuildInner(rng, out _, v6Choice: false, protocolChoice: 6);
        var copy = frame.ToArray();
        PacketParser.Parse(frame, out var p);
        Assert.False(PacketRewriter.TryRewriteSourceIp(frame, ref p, IpAddress.Parse("2001:db8::1"), IpAddress.Parse("ffff::")));
        Assert.False(PacketRewriter.TryRewriteDestinationIp(frame, ref p, IpAddress.Parse("1.2.3.4"), IpAddress.Parse("ffff::")));
        Assert.Equal(copy, frame);

        // A non-first fragment has no ports; an address rewrite fixes the IP header checksum only.
        var fragment = RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Udp, new byte[40], fragmentOffset: 4));
        PacketParser.Parse(fragment, out var f);
        Assert.False(PacketRewriter.TryRewriteSourcePort(fragment, ref f, 80));
        Assert.True(PacketRewriter.TryRewriteSourceIp(fragment, ref f, IpAddress.Parse("192.0.2.7"), IpAddress.Parse("255.255.255.255")));
        Assert.True(TestPackets.Parse(fragment).Extract<IPv4Packet>().ValidChecksum);
        Assert.Equal(new byte[40], fragment[34..]);

        // A dropped frame is never written.
        var runt = new byte[10];
        PacketParser.Parse(runt, out var r);
        Assert.False(PacketRewriter.TrySetInnerDestinationMac(runt, ref r, MacAddress.Parse("00:bb:bb:bb:bb:bb")));
        Assert.False(PacketRewriter.TrySetInnerSourceMac(runt, ref r, MacAddress.Parse("00:bb:bb:bb:bb:bb")));
        Assert.False(PacketRewriter.TryRewriteSourcePort(runt, ref r, 1));
        Assert.Equal(new byte[10], runt);

        // Other ICMP has no ports to rewrite.
        var unreachable = RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Icmp, RawFrames.Icmp(3, 1, 0, new byte[28])));
        PacketParser.Parse(unreachable, out var u);
        Assert.False(PacketRewriter.TryRewriteDestinationPort(unreachable, ref u, 80));
    }

    [Fact]
    public void UdpChecksum_ThatBecomesZero_IsSentAsAllOnes()
    {
        // Find a port whose rewrite makes the one's-complement sum all ones, so the computed checksum is 0.
        var frame = RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Udp, RawFrames.Udp(1000, 2000, 4)));
        int l4 = 34;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(l4 + 6), Checksum.Compute(frame.AsSpan(l4, 12), Checksum.PseudoHeaderSum(frame.AsSpan(26, 4), frame.AsSpan(30, 4), 17, 12)));
        ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(l4 + 6));
        // New checksum = ~(~c + ~1000 + p) == 0 when ~c + ~1000 + p == 0xFFFF (one's complement).
        ushort port = (ushort)~Checksum.Fold((ulong)(ushort)~checksum + (0xFFFFu ^ 1000));
        PacketParser.Parse(frame, out var p);
        Assert.True(PacketRewriter.TryRewriteSourcePort(frame, ref p, port));
        Assert.Equal(0xFFFF, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(l4 + 6)));
        Assert.True(TestPackets.Parse(frame).Extract<UdpPacket>().ValidUdpChecksum);
    }

    [Fact]
    public void TsharkOracle_CatchesABadChecksum()
    {
        var frame = TestPackets.BuildInner(new Random(1), out _, v6Choice: false, protocolChoice: 6);
        frame[24] ^= 0x55; // IPv4 header checksum
        var problems = Tshark.Problems([frame]);
        if (problems is null)
        {
            output.WriteLine("tshark not installed: skipped.");
            return;
        }

        Assert.NotEmpty(problems);
    }
}
