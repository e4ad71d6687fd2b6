using DashFlow.Dataplane.Traffic;

namespace DashFlow.Dataplane.Tests.NatGateway;

/// <summary>The demo's matched workload runs clean: every connection created, answered, and gone after aging.</summary>
public sealed class NatGatewayWorkloadTests
{
    [Fact]
    public void Workload_ThroughThePipeline_NoRefusalNoUnansweredAndAgingEmptiesTheTable()
    {
        NatGatewayWorkload? workload = null;
        using var nat = new NatFixture(table => (workload = NatGatewayWorkload.Create(table, seed: 5)).Gateway);
        var generator = new TrafficGenerator(workload!.Traffic);
        var buffer = new byte[2048];
        long dropped = 0;
        for (int i = 0; i < 20_000; i++)
        {
            Assert.True(generator.TryNext(buffer, out var packet));
            nat.Clock.AdvanceTo(packet.TimestampMs);
            var outcome = nat.Pipeline.Process(buffer.AsSpan(0, packet.Length), packet.TimestampMs, out var emitted);
            if (outcome == PipelineOutcome.Forwarded && packet.Direction == TrafficDirection.Request)
            {
                generator.Observe(packet.ConnectionId, emitted);
            }
            else if (outcome != PipelineOutcome.Forwarded)
            {
                dropped++; // the last ACK after FIN/FIN only
            }
        }

        var counters = nat.Gateway.Counters;
        Assert.Equal(0, counters.Refused);
        Assert.Equal(0, generator.Counters.Unanswered);
        Assert.True(dropped <= generator.Counters.Finished);

        nat.AgingTick(generator.NowUs / 1000 + 10_000);
        Assert.Equal(0, nat.Engine.Count);
        Assert.Equal(0, nat.Gateway.Counters.PortsInUse);
    }
}
