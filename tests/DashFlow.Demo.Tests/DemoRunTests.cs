using System.Text.Json;
using DashFlow.Api;
using DashFlow.Dataplane.Capture;
using DashFlow.Dataplane.Traffic;

namespace DashFlow.Demo.Tests;

/// <summary>The demo, short, in process: every phase runs and every check of its report holds.</summary>
public sealed class DemoRunTests
{
    [Fact]
    public async Task ShortDemo_EveryPhaseRuns_AndEveryCheckPasses()
    {
        var options = new DemoOptions { Duration = TimeSpan.FromSeconds(10), ConnectionsPerSecond = 4_000, MaxFlows = 400_000, FlowTtlMs = 2_000, Seed = 7 };
        Assert.Null(DemoRunner.Validate(options));
        var phases = new HashSet<DemoPhase>();

        DemoReport report;
        await using (var runner = new DemoRunner(options))
        {
            var run = runner.RunAsync();
            while (!run.IsCompleted)
            {
                phases.Add(runner.Snapshot().Phase);
                await Task.WhenAny(run, Task.Delay(50));
            }

            report = await run;
            phases.Add(runner.Snapshot().Phase);
        }

        Assert.True(report.Passed, string.Join("; ", report.Checks.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.Detail}")));
        Assert.Equal(0, report.LostAckedFlows);
        Assert.Equal(0, report.DiffAfterRecovery);
        Assert.True(report.BulkSynced > 0, "the returning agent received a bulk sync");
        Assert.True(report.FlowsPeak > 0 && report.FlowsPeak <= options.MaxFlows);
        Assert.Superset(new HashSet<DemoPhase> { DemoPhase.Learning, DemoPhase.CarryingOn, DemoPhase.Recovering, DemoPhase.Done }, phases);
    }

    [Fact]
    public async Task PcapDemo_ACaptureInsteadOfTheGenerator_LearnsItsConnectionsAndPassesEveryCheck()
    {
        // A capture of the generator's first packets (requests only: nothing answers a recording).
        string path = Path.Combine(Path.GetTempPath(), $"dashflow-demo-{Guid.NewGuid():N}.pcap");
        try
        {
            var generator = new TrafficGenerator(NatGatewayWorkload.Create(new FlowTableId(1), seed: 3).Traffic);
            var buffer = new byte[2048];
            using (var writer = PcapWriter.Create(path))
            {
                for (int i = 0; i < 5_000 && generator.TryNext(buffer, out var packet); i++)
                {
                    writer.Write(packet.TimestampUs * 1000, buffer.AsSpan(0, packet.Length));
                }
            }

            await using var runner = new DemoRunner(new DemoOptions { Duration = TimeSpan.FromSeconds(6), MaxFlows = 100_000, PcapPath = path });
            var report = await runner.RunAsync();

            Assert.True(report.Passed, string.Join("; ", report.Checks.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.Detail}")));
            Assert.Equal(5_000, report.Packets);
            Assert.True(report.ConnectionsLearned > 0);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Report_AsJson_HasEveryFieldTheReadmePromises()
    {
        var report = new DemoReport { ConnectionsLearned = 3, Checks = [new DemoCheck("x", true, "y")] };

        using var json = JsonDocument.Parse(report.ToJson());

        string[] fields = ["connections_learned", "flows_peak", "flows_aged", "ports_freed", "inline_synced", "bulk_synced", "failover_ms", "lost_acked_flows", "diff_after_recovery", "duration_s", "passed", "checks"];
        Assert.All(fields, f => Assert.True(json.RootElement.TryGetProperty(f, out _), $"missing {f}"));
        Assert.Equal(3, json.RootElement.GetProperty("connections_learned").GetInt64());
    }

    [Theory]
    [InlineData(1, 1000, 100_000, "--duration")]
    [InlineData(10, 0, 100_000, "--cps")]
    [InlineData(10, 1000, 10, "--flows")]
    public void Validate_OutOfRange_NamesTheOption(double seconds, int cps, int flows, string option)
    {
        var problem = DemoRunner.Validate(new DemoOptions { Duration = TimeSpan.FromSeconds(seconds), ConnectionsPerSecond = cps, MaxFlows = flows });

        Assert.NotNull(problem);
        Assert.StartsWith(option, problem, StringComparison.Ordinal);
    }
}
