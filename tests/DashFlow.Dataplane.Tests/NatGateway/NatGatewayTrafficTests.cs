using DashFlow.Dataplane.Traffic;
using DashFlow.Model;
using PacketDotNet;

namespace DashFlow.Dataplane.Tests.NatGateway;

/// <summary>Generated clients through SNAT and DNAT (issue 5): translated requests, replies back to the original tuple,
/// every emitted frame checked by PacketDotNet.</summary>
public sealed class NatGatewayTrafficTests
{
    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    public void GeneratedTraffic_ThroughSnatAndDnat_TranslatesRequestsAndRepliesBackToTheOriginalClient(ulong seed)
    {
        // Arrange
        using var nat = new NatFixture();
        var generator = new TrafficGenerator(NatFixture.DefaultTraffic(seed));
        var buffer = new byte[2048];
        int requests = 0, replies = 0;
        var repliesByKind = new HashSet<(TrafficKind, byte)>();

        // Act / Assert: every frame goes through the pipeline and its output is checked against the connection's tuple.
        while (generator.Counters.Connections < 3000 || generator.Counters.Packets % 64 != 0)
        {
            Assert.True(generator.TryNext(buffer, out var packet));
            nat.Clock.AdvanceTo(packet.TimestampMs);
            var outcome = nat.Pipeline.Process(buffer.AsSpan(0, packet.Length), packet.TimestampMs, out var emitted);
            string context = $"seed {seed} packet {generator.Counters.Packets} {packet}";
            if (outcome != PipelineOutcome.Forwarded)
            {
                // Only the last ACK after FIN/FIN, which finds the pair already removed, may be dropped.
                Assert.True(outcome == PipelineOutcome.MissDropped && packet.IsLast && packet.Protocol == 6, $"{context}: {outcome}");
                continue;
            }

            var ip = RewriteTests.AssertChecksumsValid(emitted, 0, context);
            var (srcPort, dstPort) = Ports(ip);
            if (packet.Direction == TrafficDirection.Request)
            {
                requests++;
                generator.Observe(packet.ConnectionId, emitted);
                AssertRequestTranslated(nat, packet, ip, srcPort, dstPort, context);
            }
            else
            {
                replies++;
                repliesByKind.Add((packet.Kind, packet.Protocol));
                Assert.Equal(packet.ClientIp.ToIPAddress(), ip.DestinationAddress);
                Assert.Equal(packet.ClientPort, dstPort);
                Assert.Equal(packet.ServerIp.ToIPAddress(), ip.SourceAddress);
                Assert.Equal(packet.Protocol == 1 ? packet.ClientPort : packet.ServerPort, srcPort);
            }
        }

        var counters = nat.Gateway.Counters;
        Assert.Equal(0, generator.Counters.Unanswered);
        Assert.Equal(generator.Counters.Connections, counters.ConnectionsCreated);
        Assert.Equal(generator.Counters.SnatConnections, counters.SnatCreated);
        Assert.Equal(0, counters.Refused);
        Assert.True(counters.ClosedRemoved > 0 && requests > 3000 && replies > 3000, counters.ToString());
        Assert.Equal(5, repliesByKind.Count); // SNAT TCP, UDP and ICMP echo; DNAT TCP and UDP
        Assert.Equal(counters.PortsInUse + counters.PortsFreed, counters.SnatCreated);

        // Whatever did not close (idle TCP, UDP, ICMP) ages out: the table empties and every port returns.
        nat.AgingTick(generator.NowUs / 1000 + 10_000);
        counters = nat.Gateway.Counters;
        Assert.Equal(0, nat.Engine.Count);
        Assert.Equal(0, counters.PortsInUse);
        Assert.Equal(counters.ConnectionsCreated, counters.AgedRemoved + counters.ClosedRemoved);
        Assert.Equal(counters.SnatCreated, counters.PortsFreed);
    }

    private static void AssertRequestTranslated(NatFixture nat, TrafficPacket packet, IPPacket ip, ushort srcPort, ushort dstPort, string context)
    {
        if (packet.Kind == TrafficKind.Snat)
        {
            var eip = packet.ClientIp.V4 >> 16 == IpAddress.Parse("10.3.0.0").V4 >> 16 ? NatFixture.EipB : NatFixture.EipA;
            Assert.Equal(eip.ToIPAddress(), ip.SourceAddress);
            Assert.Equal(packet.ServerIp.ToIPAddress(), ip.DestinationAddress);
            Assert.InRange(srcPort, 1024, 65535);
            Assert.True(nat.Gateway.PortPool(eip, packet.Protocol)!.IsInUse(srcPort) || !packet.IsFirst, context);
            Assert.Equal(packet.Protocol == 1 ? srcPort : packet.ServerPort, dstPort);
        }
        else
        {
            Assert.True(nat.Gateway.TryChooseBackend(packet.ServerIp, packet.Protocol, packet.ServerPort, packet.ClientIp, packet.ClientPort, out var backend));
            Assert.Equal(packet.ClientIp.ToIPAddress(), ip.SourceAddress);
            Assert.Equal(packet.ClientPort, srcPort);
            Assert.Equal(backend.Ip.ToIPAddress(), ip.DestinationAddress);
            Assert.Equal(backend.Port, dstPort);
        }
    }

    internal static (ushort Src, ushort Dst) Ports(IPPacket ip) => ip.PayloadPacket switch
    {
        TcpPacket tcp => (tcp.SourcePort, tcp.DestinationPort),
        UdpPacket udp => (udp.SourcePort, udp.DestinationPort),
        IcmpV4Packet icmp => (icmp.Id, icmp.Id),
        _ => throw new InvalidOperationException("unexpected L4"),
    };

    [Fact]
    public void Generator_SameSeed_SameFrames_AndNoAllocation()
    {
        var a = new TrafficGenerator(NatFixture.DefaultTraffic(7));
        var b = new TrafficGenerator(NatFixture.DefaultTraffic(7));
        var bufferA = new byte[2048];
        var bufferB = new byte[2048];
        for (int i = 0; i < 2000; i++)
        {
            Assert.True(a.TryNext(bufferA, out var pa));
            Assert.True(b.TryNext(bufferB, out var pb));
            Assert.Equal(pa, pb);
            Assert.True(bufferA.AsSpan(0, pa.Length).SequenceEqual(bufferB.AsSpan(0, pb.Length)));
            if (pa.Direction == TrafficDirection.Request)
            {
                a.Observe(pa.ConnectionId, bufferA.AsSpan(0, pa.Length)); // echo the request: an identity "gateway"
                b.Observe(pb.ConnectionId, bufferB.AsSpan(0, pb.Length));
            }
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            a.TryNext(bufferA, out var p);
            a.Observe(p.ConnectionId, bufferA.AsSpan(0, p.Length));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
