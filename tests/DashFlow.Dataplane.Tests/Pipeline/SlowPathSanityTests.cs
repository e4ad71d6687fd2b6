using DashFlow.Dataplane.Pipeline;
using DashFlow.Model;

namespace DashFlow.Dataplane.Tests.Pipeline;

/// <summary>
/// DASH's saidashdpapp_sanity.py (spec §5.2) with the observe app as the DPAPP (learn dash): UDP creates a flow, TCP SYN
/// creates and FIN removes (first-fin mode; both FINs in the default mode; RST at once), and a flow with TTL 5000 ms is
/// gone 6 s later in packet time.
/// </summary>
public sealed class SlowPathSanityTests
{
    private static readonly IpAddress s_client = IpAddress.Parse("10.1.1.10");
    private static readonly IpAddress s_server = IpAddress.Parse("10.1.2.50");

    private static FlowKey Key(byte protocol, ushort srcPort, ushort dstPort) => new(PipelineHarness.DashEniMac, 0, protocol, s_client, s_server, srcPort, dstPort);

    private static PipelineHarness Harness(TcpCloseMode close = TcpCloseMode.Both, bool teardown = true) =>
        new((api, table) => PipelineHarness.Observe(api, table), close: close, teardown: teardown);

    [Fact]
    public void TrafficUdp_CreatesThePairAndForwards()
    {
        using var h = Harness();

        Assert.True(h.Send(DashFrames.Udp("10.1.1.10", "10.1.2.50", 5000, 53)));

        Assert.True(h.Table.Contains(Key(17, 5000, 53)));
        Assert.True(h.Table.Contains(Key(17, 5000, 53).Reversed()));
        Assert.Single(h.Emitted);
        Assert.Equal(1, h.Pipeline.Counters.SlowPathCreated);
    }

    [Fact]
    public void TrafficTcp_FirstFinMode_SynCreatesFinRemoves_BothForwarded()
    {
        using var h = Harness(TcpCloseMode.FirstFin);
        var key = Key(6, 0x1234, 80);

        h.Send(DashFrames.Tcp("10.1.1.10", "10.1.2.50", 0x1234, 80, TcpControl.Syn));
        Assert.True(h.Table.Contains(key));
        h.Send(DashFrames.Tcp("10.1.1.10", "10.1.2.50", 0x1234, 80, TcpControl.Fin | TcpControl.Ack));

        Assert.False(h.Table.Contains(key));
        Assert.Equal(0, h.Table.Count);
        Assert.Equal(2, h.Emitted.Count);
        Assert.Equal(2, h.Pipeline.Counters.FlowsRemovedByTeardown);
    }

    [Fact]
    public void TrafficTcp_DefaultMode_PairStaysUntilBothDirectionsSentFin()
    {
        using var h = Harness();
        var key = Key(6, 0x1234, 80);

        h.Send(DashFrames.Tcp("10.1.1.10", "10.1.2.50", 0x1234, 80, TcpControl.Syn));
        h.Send(DashFrames.Tcp("10.1.2.50", "10.1.1.10", 80, 0x1234, TcpControl.Syn | TcpControl.Ack));
        h.Send(DashFrames.Tcp("10.1.1.10", "10.1.2.50", 0x1234, 80, TcpControl.Fin | TcpControl.Ack));
        h.Send(DashFrames.Tcp("10.1.1.10", "10.1.2.50", 0x1234, 80, TcpControl.Fin | TcpControl.Ack)); // a retransmitted FIN closes nothing more
        Assert.True(h.Table.Contains(key));
        Assert.Equal(1, h.Pipeline.HalfClosedConnections);

        h.Send(DashFrames.Tcp("10.1.2.50", "10.1.1.10", 80, 0x1234, TcpControl.Fin | TcpControl.Ack));

        Assert.False(h.Table.Contains(key));
        Assert.Equal(0, h.Table.Count);
        Assert.Equal(0, h.Pipeline.HalfClosedConnections);
        Assert.Equal(5, h.Emitted.Count);
        h.Send(DashFrames.Tcp("10.1.1.10", "10.1.2.50", 0x1234, 80, TcpControl.Ack)); // the last ACK misses: not a SYN
        Assert.Equal(1, h.Pipeline.Counters[PipelineDropReason.TcpNonSynFlowMiss]);
    }

    [Theory]
    [InlineData(TcpCloseMode.Both)]
    [InlineData(TcpCloseMode.FirstFin)]
    public void TrafficTcp_Rst_RemovesThePairAtOnce(TcpCloseMode mode)
    {
        using var h = Harness(mode);

        h.Send(DashFrames.Tcp("10.1.1.10", "10.1.2.50", 0x1234, 80, TcpControl.Syn));
        h.Send(DashFrames.Tcp("10.1.2.50", "10.1.1.10", 80, 0x1234, TcpControl.Rst | TcpControl.Ack));

        Assert.Equal(0, h.Table.Count);
        Assert.Equal(2, h.Emitted.Count);
        Assert.Equal(1, h.Pipeline.Counters.ConnectionsClosed);
    }

    [Fact]
    public void TeardownOff_FinAndRstRemoveNothing()
    {
        using var h = Harness(TcpCloseMode.FirstFin, teardown: false);

        h.Send(DashFrames.Tcp("10.1.1.10", "10.1.2.50", 0x1234, 80, TcpControl.Syn));
        h.Send(DashFrames.Tcp("10.1.1.10", "10.1.2.50", 0x1234, 80, TcpControl.Fin | TcpControl.Ack));
        h.Send(DashFrames.Tcp("10.1.2.50", "10.1.1.10", 80, 0x1234, TcpControl.Rst));

        Assert.Equal(2, h.Table.Count);
        Assert.Equal(0, h.Pipeline.Counters.ConnectionsClosed);
    }

    [Fact]
    public void AgeoutTcp_Ttl5000_ExistsAt4sAndIsGoneAt6s()
    {
        using var h = Harness();
        var key = Key(6, 0x1234, 80);

        h.Send(DashFrames.Tcp("10.1.1.10", "10.1.2.50", 0x1234, 80, TcpControl.Syn), ms: 0);
        h.Send(DashFrames.Udp("10.9.9.9", "10.9.9.8", 1, 2), ms: 4_000); // other traffic moves packet time
        Assert.True(h.Table.Contains(key));
        h.Send(DashFrames.Udp("10.9.9.9", "10.9.9.8", 1, 2), ms: 6_000);

        Assert.False(h.Table.Contains(key));
        Assert.False(h.Table.Contains(key.Reversed()));
        Assert.Equal(2, h.Table.Counters.Aged);
        Assert.True(h.Table.Contains(new FlowKey(PipelineHarness.DashEniMac, 0, 17, IpAddress.Parse("10.9.9.9"), IpAddress.Parse("10.9.9.8"), 1, 2)));
        Assert.Equal(2, h.Table.Count); // only the UDP pair is left
    }

    [Fact]
    public void Aging_OneWayTrafficKeepsItsPairAliveWhileAnotherPairAges()
    {
        using var h = Harness();
        var key = Key(17, 7, 9);
        h.Send(DashFrames.Udp("10.1.1.10", "10.1.2.50", 8, 8), 0); // a pair that goes idle, so aging sessions do run

        for (long ms = 0; ms <= 20_000; ms += 2_000)
        {
            h.Send(DashFrames.Udp("10.1.1.10", "10.1.2.50", 7, 9), ms); // the reverse entry never sees a packet
        }

        Assert.True(h.Table.Contains(key));
        Assert.True(h.Table.Contains(key.Reversed()));
        Assert.False(h.Table.Contains(Key(17, 8, 8)));
        Assert.Equal(2, h.Table.Counters.Aged);
        Assert.Equal(2, h.Pipeline.Counters.SlowPathCreated); // the stream was learned once, never removed and learned again
    }

    [Fact]
    public void Clock_StepBackAndLongJump_NeverMovesBackAndAgesEverythingIdle()
    {
        using var h = Harness();
        h.Send(DashFrames.Udp("10.1.1.10", "10.1.2.50", 7, 9), ms: 10_000);
        long now = h.Clock.NowMs;
        h.Send(DashFrames.Udp("10.1.1.10", "10.1.2.50", 7, 9), ms: 9_999); // a capture's small step back
        Assert.Equal(now, h.Clock.NowMs);

        h.Send(DashFrames.Udp("10.3.3.3", "10.4.4.4", 1, 1), ms: 10_000 + (long)TimeSpan.FromDays(5 * 365).TotalMilliseconds); // merged captures

        Assert.False(h.Table.Contains(Key(17, 7, 9)));
        Assert.Equal(2, h.Table.Count);
    }
}
