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
