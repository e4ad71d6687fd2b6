using DashFlow.Dataplane.Apps.NatGateway;
using DashFlow.Dataplane.Pipeline;
using Gateway = DashFlow.Dataplane.Apps.NatGateway.NatGateway;

namespace DashFlow.Dataplane.Tests.NatGateway;

/// <summary>A new decider's gateway on a table another gateway filled (an HA takeover) must not hand out held ports.</summary>
public sealed class NatGatewayTakeoverTests
{
    private const ushort FirstPort = 1024;
    private const int Ports = 100;
    private const int Held = 60;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void NewGateway_OnAFilledTable_AdoptsHeldPortsOrCollidesWithThem(bool adopt)
    {
        using var nat = new NatFixture(table => NatFixture.DefaultOptions(table) with
        {
            Snat = [new SnatRule(101, NatFixture.EipA, FirstPort, FirstPort + Ports - 1)],
            Dnat = [],
        });
        for (int i = 0; i < Held; i++)
        {
            Assert.Equal(PipelineOutcome.Forwarded, nat.Pipeline.Process(Client(i), 1_000, out _));
        }

        using var successor = new Gateway(nat.Api, nat.Options with { RegistersEventCallback = false });
        int adopted = adopt ? successor.AdoptExistingConnections() : 0;
        var pipeline = PipelineDriver.Create(output => new FlowPipeline(nat.Api, successor, output, new PipelineOptions { Table = nat.Table, EniMac = NatFixture.Eni }));
        var outcomes = Enumerable.Range(Held, Ports - Held).Select(i => pipeline.Process(Client(i), 1_000, out _)).ToList();

        if (adopt)
        {
            Assert.Equal(Held, adopted);
            Assert.All(outcomes, o => Assert.Equal(PipelineOutcome.Forwarded, o));
            Assert.Equal(0, successor.Counters.RefusedCreateFailed);
            Assert.Equal(Ports, successor.Counters.PortsInUse);
            Assert.Equal(PipelineOutcome.Refused, pipeline.Process(Client(Ports), 1_000, out _)); // the pool is really full now
            Assert.Equal(1, successor.Counters.RefusedPortExhausted);
        }
        else
        {
            // Without adopting, the successor hands out the ports the synced pairs hold: their creates collide.
            Assert.True(successor.Counters.RefusedCreateFailed > 0);
        }

        Assert.Equal(2 * (Held + successor.Counters.ConnectionsCreated), nat.Engine.Count);
    }

    /// <summary>Client <paramref name="n"/> of VNET 101 sends one UDP datagram to the same server (so ports alone tell pairs apart).</summary>
    private static byte[] Client(int n) => NatFixture.VnetUdp(101, $"10.1.{n / 250}.{1 + (n % 250)}", 5000, "198.18.0.1", 53);
}
