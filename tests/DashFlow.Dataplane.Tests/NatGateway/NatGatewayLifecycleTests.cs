using DashFlow.Api;
using DashFlow.Dataplane.Apps.NatGateway;
using DashFlow.Dataplane.Packets;
using DashFlow.Dataplane.Traffic;
using DashFlow.Model;

namespace DashFlow.Dataplane.Tests.NatGateway;

/// <summary>Port exhaustion, aging, closes and failed creates: what the table and the pools hold afterwards (issue 5).</summary>
public sealed class NatGatewayLifecycleTests
{
    private const ushort FirstPort = 2000;
    private const int PoolSize = 10;

    private static NatGatewayOptions SmallPool(FlowTableId table) => new()
    {
        Table = table,
        Snat = [new SnatRule(101, NatFixture.EipA, FirstPort, FirstPort + PoolSize - 1)],
    };

    [Fact]
    public void PortPoolExhausted_RefusesAndCounts_TableUnchanged_ThenAgingFreesPortsAndNewConnectionsSucceed()
    {
        // Arrange
        using var nat = new NatFixture(SmallPool, ttlMs: 5000);
        for (int i = 0; i < PoolSize; i++)
        {
            Assert.Equal(PipelineOutcome.Forwarded, nat.Pipeline.Process(NatFixture.VnetUdp(101, "10.1.0.5", (ushort)(30000 + i), "198.18.0.9", 53), 1000, out _));
        }

        long entries = nat.Engine.Count;

        // Act
        var outcome = nat.Pipeline.Process(NatFixture.VnetUdp(101, "10.1.0.5", 40000, "198.18.0.9", 53), 1000, out _);

        // Assert
        Assert.Equal(PipelineOutcome.Refused, outcome);
        Assert.Equal(NatRefusal.PortExhausted, nat.Gateway.LastRefusal);
        var counters = nat.Gateway.Counters;
        Assert.Equal(1, counters.RefusedPortExhausted);
        Assert.Equal(PoolSize, counters.PortsInUse);
        Assert.Equal(2 * PoolSize, entries);
        Assert.Equal(entries, nat.Engine.Count);

        // Act: past the TTL, one aging pass (sweep, AGED bulk get, removals)
        nat.AgingTick(1000 + 6000);

        // Assert
        counters = nat.Gateway.Counters;
        Assert.Equal(0, nat.Engine.Count);
        Assert.Equal(PoolSize, counters.AgedRemoved);
        Assert.Equal(PoolSize, counters.PortsFreed);
        Assert.Equal(0, counters.PortsInUse);
        Assert.Equal(1, counters.AgingPasses);
        Assert.Equal(PipelineOutcome.Forwarded, nat.Pipeline.Process(NatFixture.VnetUdp(101, "10.1.0.5", 40000, "198.18.0.9", 53), nat.Clock.NowMs, out _));
    }

    [Fact]
    public void Aging_AOneWayFlowStillSending_IsNotRemoved_AnIdlePairIs()
    {
        using var nat = new NatFixture(SmallPool, ttlMs: 5000);
        var request = NatFixture.VnetUdp(101, "10.1.0.5", 30000, "198.18.0.9", 53);
        Assert.Equal(PipelineOutcome.Forwarded, nat.Pipeline.Process(request, 1000, out _));
        Assert.Equal(PipelineOutcome.Forwarded, nat.Pipeline.Process(NatFixture.VnetUdp(101, "10.1.0.6", 30000, "198.18.0.9", 53), 1000, out _));

        for (long now = 1000; now <= 9000; now += 250)
        {
            nat.Clock.AdvanceTo(now);
            Assert.Equal(PipelineOutcome.Forwarded, nat.Pipeline.Process(request, now, out _)); // keeps the first one fresh; the pipeline ticks every second
        }

        var counters = nat.Gateway.Counters;
        Assert.Equal(1, counters.AgedRemoved);
        Assert.Equal(1, counters.PortsInUse);
        Assert.Equal(2, nat.Engine.Count);
    }

    [Fact]
    public void FailedBulkCreate_ReverseKeyTaken_LeavesTableUnchangedAndPortFree()
    {
        // Arrange: someone else's entry sits on the reply tuple the next connection would get (server:53 → EIP:2000).
        using var nat = new NatFixture(SmallPool);
        var taken = new FlowKey(NatFixture.Eni, 0, 17, IpAddress.Parse("198.18.0.9"), NatFixture.EipA, 53, FirstPort);
        var foreign = new FlowState { Direction = FlowDirection.Inbound, IsUnidirectional = true, Version = 42 };
        Assert.Equal(SaiStatus.Success, nat.Api.CreateFlowEntry(new FlowEntryAddress(nat.Table, taken), in foreign));

        // Act
        var outcome = nat.Pipeline.Process(NatFixture.VnetUdp(101, "10.1.0.5", 30000, "198.18.0.9", 53), 1000, out _);

        // Assert
        Assert.Equal(PipelineOutcome.Refused, outcome);
        Assert.Equal(NatRefusal.CreateFailed, nat.Gateway.LastRefusal);
        Assert.Equal(1, nat.Engine.Count);
        Assert.Equal(SaiStatus.Success, nat.Api.GetFlowEntry(new FlowEntryAddress(nat.Table, taken), out var after, out _));
        Assert.Equal(foreign with { ReverseKey = default }, after with { ReverseKey = default });
        Assert.Equal(0, nat.Gateway.Counters.PortsInUse);
        Assert.False(nat.Gateway.PortPool(NatFixture.EipA, 17)!.IsInUse(FirstPort));
        Assert.Equal(1, nat.Gateway.Counters.RefusedCreateFailed);
    }

    [Fact]
    public void FailedBulkCreate_TableFull_LeavesTableUnchangedAndPortFree()
    {
        using var nat = new NatFixture(SmallPool, capacity: 3);
        Assert.Equal(PipelineOutcome.Forwarded, nat.Pipeline.Process(NatFixture.VnetUdp(101, "10.1.0.5", 30000, "198.18.0.9", 53), 1000, out _));

        var outcome = nat.Pipeline.Process(NatFixture.VnetUdp(101, "10.1.0.5", 30001, "198.18.0.9", 53), 1000, out _);

        Assert.Equal(PipelineOutcome.Refused, outcome);
        Assert.Equal(NatRefusal.CreateFailed, nat.Gateway.LastRefusal);
        Assert.Equal(2, nat.Engine.Count);
        Assert.Equal(1, nat.Gateway.Counters.PortsInUse);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TcpClose_ByRstOrFinFin_RemovesThePairAndFreesThePort(bool rst)
    {
        using var nat = new NatFixture(SmallPool);
        Assert.Equal(PipelineOutcome.Forwarded, nat.Pipeline.Process(NatFixture.VnetTcp(101, "10.1.0.5", 30000, "198.18.0.9", 443, TcpFlags.Syn), 1000, out _));
        var reply = new FrameSpec { SrcIp = IpAddress.Parse("198.18.0.9"), DstIp = NatFixture.EipA, Protocol = 6, SrcPort = 443, DstPort = FirstPort };
        Assert.Equal(PipelineOutcome.Forwarded, nat.Pipeline.Process(NatFixture.Internet(reply with { TcpFlags = TcpFlags.Syn | TcpFlags.Ack }), 1000, out _));
        Assert.Equal(1, nat.Gateway.Counters.PortsInUse);

        if (rst)
        {
            Assert.Equal(PipelineOutcome.Forwarded, nat.Pipeline.Process(NatFixture.Internet(reply with { TcpFlags = TcpFlags.Rst }), 1000, out _));
        }
        else
        {
            Assert.Equal(PipelineOutcome.Forwarded, nat.Pipeline.Process(NatFixture.VnetTcp(101, "10.1.0.5", 30000, "198.18.0.9", 443, TcpFlags.Fin | TcpFlags.Ack), 1000, out _));
            Assert.Equal(2, nat.Engine.Count); // one direction closed: the pair lives (D18)
            Assert.Equal(PipelineOutcome.Forwarded, nat.Pipeline.Process(NatFixture.Internet(reply with { TcpFlags = TcpFlags.Fin | TcpFlags.Ack }), 1000, out _));
        }

        var counters = nat.Gateway.Counters;
        Assert.Equal(0, nat.Engine.Count);
        Assert.Equal(1, counters.ClosedRemoved);
        Assert.Equal(1, counters.PortsFreed);
        Assert.Equal(0, counters.PortsInUse);
    }

    [Fact]
    public void Misses_WithoutRuleOrBackend_AreRefusedAndCounted_OtherTrafficIgnored()
    {
        using var nat = new NatFixture(table => NatFixture.DefaultOptions(table) with
        {
            Dnat = [new DnatRule(NatFixture.ServiceEip, 6, 443, NatFixture.BackendVnet, [])],
        });

        Assert.Equal(PipelineOutcome.Refused, nat.Pipeline.Process(NatFixture.VnetUdp(999, "10.9.0.5", 30000, "198.18.0.9", 53), 1000, out _));
        Assert.Equal(NatRefusal.NoRule, nat.Gateway.LastRefusal);
        var toService = new FrameSpec { SrcIp = IpAddress.Parse("198.18.0.9"), DstIp = NatFixture.ServiceEip, Protocol = 6, SrcPort = 40000, DstPort = 443, TcpFlags = TcpFlags.Syn };
        Assert.Equal(PipelineOutcome.Refused, nat.Pipeline.Process(NatFixture.Internet(toService), 1000, out _));
        Assert.Equal(NatRefusal.NoBackend, nat.Gateway.LastRefusal);
        Assert.Equal(PipelineOutcome.Refused, nat.Pipeline.Process(NatFixture.Internet(toService with { DstPort = 80 }), 1000, out _));
        var ping = new FrameSpec { SrcIp = IpAddress.Parse("198.18.0.9"), DstIp = NatFixture.ServiceEip, Protocol = 1, SrcPort = 7, IcmpType = 8 };
        Assert.Equal(PipelineOutcome.Refused, nat.Pipeline.Process(NatFixture.Internet(ping), 1000, out _)); // no ICMP listener

        var counters = nat.Gateway.Counters;
        Assert.Equal(3, counters.RefusedNoRule);
        Assert.Equal(1, counters.RefusedNoBackend);
        Assert.Equal(0, nat.Engine.Count);
    }

    [Fact]
    public void BackgroundAging_RemovesAtTheNextTick()
    {
        using var nat = new NatFixture(table => SmallPool(table) with { WaitsForAgingSession = false }, ttlMs: 5000);
        Assert.Equal(PipelineOutcome.Forwarded, nat.Pipeline.Process(NatFixture.VnetUdp(101, "10.1.0.5", 30000, "198.18.0.9", 53), 1000, out _));

        nat.AgingTick(7000); // starts the session
        var deadline = DateTime.UtcNow.AddSeconds(30);
        long now = 7000;
        while (nat.Gateway.Counters.AgedRemoved == 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
            now += 1000;
            nat.AgingTick(now);
        }

        Assert.Equal(1, nat.Gateway.Counters.AgedRemoved);
        Assert.Equal(0, nat.Gateway.Counters.PortsInUse);
        Assert.Equal(0, nat.Engine.Count);
    }

    [Fact]
    public void PairsRemovedBehindTheGatewaysBack_TheirPortsAreRecoveredWhenThePoolRunsOut()
    {
        // Arrange: a full pool, then two pairs removed by another client (as a full table's reclaim of aged pairs would).
        using var nat = new NatFixture(SmallPool);
        for (int i = 0; i < PoolSize; i++)
        {
            Assert.Equal(PipelineOutcome.Forwarded, nat.Pipeline.Process(NatFixture.VnetUdp(101, "10.1.0.5", (ushort)(30000 + i), "198.18.0.9", 53), 1000, out _));
        }

        foreach (ushort port in new ushort[] { FirstPort + 3, FirstPort + 7 })
        {
            var outside = new FlowKey(NatFixture.Eni, 0, 17, IpAddress.Parse("198.18.0.9"), NatFixture.EipA, 53, port);
            Assert.Equal(SaiStatus.Success, nat.Api.RemoveFlowEntry(new FlowEntryAddress(nat.Table, outside)));
        }

        // Act
        var first = nat.Pipeline.Process(NatFixture.VnetUdp(101, "10.1.0.6", 30000, "198.18.0.9", 53), 1000, out _);
        var second = nat.Pipeline.Process(NatFixture.VnetUdp(101, "10.1.0.6", 30001, "198.18.0.9", 53), 1000, out _);
        var third = nat.Pipeline.Process(NatFixture.VnetUdp(101, "10.1.0.6", 30002, "198.18.0.9", 53), 1000, out _);

        // Assert
        Assert.Equal(PipelineOutcome.Forwarded, first);
        Assert.Equal(PipelineOutcome.Forwarded, second);
        Assert.Equal(PipelineOutcome.Refused, third);
        var counters = nat.Gateway.Counters;
        Assert.Equal(2, counters.PortsRecovered);
        Assert.Equal(PoolSize, counters.PortsInUse);
        Assert.Equal(1, counters.RefusedPortExhausted);
        Assert.Equal(2 * PoolSize, nat.Engine.Count);
    }

    [Theory]
    [InlineData("outside")]
    [InlineData("two-ranges")]
    [InlineData("icmp-listener")]
    [InlineData("duplicate-vnet")]
    public void InconsistentRules_AreRefusedAtConstruction(string problem)
    {
        var ex = Assert.Throws<ArgumentException>(() => new NatFixture(table => problem switch
        {
            "outside" => new NatGatewayOptions { Table = table, Snat = [new SnatRule(0, NatFixture.EipA)] },
            "two-ranges" => new NatGatewayOptions { Table = table, Snat = [new SnatRule(101, NatFixture.EipA), new SnatRule(102, NatFixture.EipA, 2000, 3000)] },
            "icmp-listener" => new NatGatewayOptions { Table = table, Dnat = [new DnatRule(NatFixture.ServiceEip, 1, 0, 200, NatFixture.WebBackends)] },
            _ => new NatGatewayOptions { Table = table, Snat = [new SnatRule(101, NatFixture.EipA), new SnatRule(101, NatFixture.EipB)] },
        }));
        Assert.StartsWith("nat-gateway:", ex.Message);
    }
}
