using System.Text.Json;
using DashFlow.Api;
using DashFlow.Cli;
using DashFlow.Cli.Commands.Replay;
using DashFlow.Dataplane.Apps.NatGateway;
using DashFlow.Dataplane.Apps.Observe;
using DashFlow.Dataplane.Capture;
using DashFlow.Dataplane.Output;
using DashFlow.Dataplane.Pipeline;
using DashFlow.Dataplane.Traffic;
using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Server.Tests;

/// <summary><c>dashflow replay --app nat-gateway</c>: a capture of the generated NAT workload replays as it was recorded.</summary>
public sealed class ReplayNatGatewayCliTests : IDisposable
{
    private const int Packets = 20_000;
    private readonly string _folder = Directory.CreateTempSubdirectory("dashflow-replay-nat-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ReplayNatGateway_DefaultConfig_CaptureOfTheWorkload_TranslatesEveryConnectionAsRecorded()
    {
        // Arrange: the workload's generator run against the gateway on the real pipeline (replies answer what was emitted),
        // both directions written to a pcap; the recording run's counters are what the replay must report.
        var pcap = Path.Combine(_folder, "nat.pcap");
        var recorded = Record(pcap);

        // Act
        var result = AgentFixture.Run("replay", pcap, "--app", "nat-gateway", "--ttl", "5000", "--max-flows", "65536", "--eni-mac", "00:cc:cc:cc:cc:cc", "--json");

        // Assert
        Assert.Equal(ExitCodes.Ok, result.Exit);
        using var report = JsonDocument.Parse(result.Out);
        var root = report.RootElement;
        var nat = root.GetProperty("nat");
        Assert.Equal("nat-gateway", root.GetProperty("app").GetString());
        Assert.Equal(Packets, root.GetProperty("packets").GetInt64());
        Assert.Equal(recorded.Pipeline.Emitted, root.GetProperty("emitted").GetInt64());
        Assert.Equal(recorded.Pipeline.Hits, root.GetProperty("hits").GetInt64());
        Assert.Equal(recorded.Pipeline.SlowPathCreated, root.GetProperty("slow_path_created").GetInt64());
        Assert.Equal(recorded.Nat.SnatCreated, nat.GetProperty("snat_created").GetInt64());
        Assert.Equal(recorded.Nat.DnatCreated, nat.GetProperty("dnat_created").GetInt64());
        Assert.Equal(recorded.Nat.ClosedRemoved, nat.GetProperty("closed_removed").GetInt64());
        Assert.Equal(0, root.GetProperty("slow_path_refused").GetInt64());
        Assert.Equal(0, nat.GetProperty("refused_no_rule").GetInt64());
        Assert.True(nat.GetProperty("snat_created").GetInt64() > 1000 && nat.GetProperty("dnat_created").GetInt64() > 100, result.Out);
        Assert.Equal(recorded.Nat.AgedRemoved, nat.GetProperty("aged_removed").GetInt64());
        Assert.Equal(recorded.Nat.PortsInUse, nat.GetProperty("ports_in_use").GetInt64());

        // Only the last ACK after FIN/FIN, which finds its pair removed, is dropped.
        long dropped = root.GetProperty("packets_dropped").GetInt64();
        Assert.Equal(dropped, root.GetProperty("drops").GetProperty("tcp_non_syn_flow_miss").GetInt64());
        Assert.Equal(Packets - dropped, root.GetProperty("emitted").GetInt64());
    }

    [Fact]
    public void ReplayNatGateway_BadConfig_OneErrorLineAndUsageExit()
    {
        var pcap = Path.Combine(_folder, "empty.pcap");
        using (PcapWriter.Create(pcap))
        {
        }

        var config = Path.Combine(_folder, "nat.json");
        File.WriteAllText(config, """{ "snat": [ { "vnet": 101, "eip": "203.0.113.1" } ], "typo": 1 }""");

        var result = AgentFixture.Run("replay", pcap, "--app", "nat-gateway", "--nat-config", config);

        Assert.Equal(ExitCodes.Usage, result.Exit);
        Assert.StartsWith("dashflow: --nat-config:", result.Error, StringComparison.Ordinal);
        Assert.Contains("typo", result.Error, StringComparison.Ordinal);
    }

    private static (PipelineCounters Pipeline, NatGatewayCounters Nat) Record(string path)
    {
        using var api = new FlowApi(new FlowApiOptions { Clock = FlowClock.Manual() });
        Assert.Equal(SaiStatus.Success, api.CreateFlowTable(out var table,
        [
            SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 65536),
            SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, (int)FlowEnabledKey.All),
            SaiAttribute.U32(FlowTableAttr.FlowTtlInMilliseconds, 5000),
        ]));
        var context = new ReplayAppContext(api, table, ObserveLearnMode.Dash);
        using var gateway = new NatGateway(api, ReplayAppFactory.NatOptions(context));
        var output = new LastFrame();
        var pipeline = new FlowPipeline(api, gateway, output, new PipelineOptions { Table = table, EniMac = NatGatewayWorkload.EniMac });
        var generator = new TrafficGenerator(NatGatewayWorkload.Create(table, seed: 3).Traffic);
        var buffer = new byte[2048];
        using (var writer = PcapWriter.Create(path))
        {
            for (int i = 0; i < Packets; i++)
            {
                Assert.True(generator.TryNext(buffer, out var packet));
                long ns = packet.TimestampUs * 1000;
                writer.Write(ns, buffer.AsSpan(0, packet.Length));
                if (pipeline.Process(buffer.AsSpan(0, packet.Length), ns) && packet.Direction == TrafficDirection.Request)
                {
                    generator.Observe(packet.ConnectionId, output.Frame.AsSpan(0, output.Length));
                }
            }
        }

        pipeline.RunAgingTick();
        return (pipeline.Counters, gateway.Counters);
    }

    private sealed class LastFrame : IPacketOutput
    {
        public byte[] Frame { get; } = new byte[4096];

        public int Length { get; private set; }

        public void Write(long timestampNanoseconds, ReadOnlySpan<byte> frame)
        {
            frame.CopyTo(Frame);
            Length = frame.Length;
        }
    }
}
