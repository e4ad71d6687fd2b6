using System.CommandLine;
using System.Globalization;
using DashFlow.Bench.Sync;

namespace DashFlow.Cli.Commands.Bench;

/// <summary><c>dashflow bench sync --flows N [--json]</c>: an active and a standby agent on loopback: bulk sync, inline
/// sync throughput and ack latency, failover time and acked flows lost.</summary>
public static class BenchSyncCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var flows = new Option<int>("--flows") { Description = "Flows loaded before the standby joins (and again created inline).", DefaultValueFactory = _ => 1_000_000 };
        var rate = new Option<double>("--ack-rate") { Description = "Thousand flows per second for the ack latency phase.", DefaultValueFactory = _ => 20 };
        var highRate = new Option<double>("--ack-rate-high") { Description = "Thousand flows per second for the second ack latency phase, near the 500k/s target (0 skips it).", DefaultValueFactory = _ => 450 };
        var warmup = new Option<int>("--inline-warmup") { Description = "Flows created inline, untimed, before the throughput phase (0: a cold pair).", DefaultValueFactory = _ => 100_000 };
        var json = new Option<bool>("--json") { Description = "Print one JSON line." };
        var command = new Command("sync", "HA figures: bulk_sync_mflows_s, inline_kops_s, inline_ack_p50/p99_ms, failover_ms, lost_acked_flows.") { flows, rate, highRate, warmup, json };
        command.SetAction(async (parse, cancellation) =>
        {
            int n = parse.GetValue(flows);
            if (n < 10_000 || n > 32_000_000)
            {
                error.WriteLine($"dashflow: --flows takes 10000 to 32000000 (a DASH 200G card), not {n}");
                return ExitCodes.Usage;
            }

            var result = await SyncBenchmark.RunAsync(n, parse.GetValue(rate), parse.GetValue(highRate), parse.GetValue(warmup)).ConfigureAwait(false);
            output.WriteLine(parse.GetValue(json)
                ? result.ToJson()
                : string.Create(CultureInfo.InvariantCulture, $"flows {result.Flows}: bulk sync {result.BulkSyncMflowsS:F2} M flows/s, inline {result.InlineKopsS:F0} k/s, ack p50 {result.InlineAckP50Ms:F2} ms p99 {result.InlineAckP99Ms:F2} ms at {result.AckRateKopsS:F0} k/s, p50 {result.HighRate.P50Ms:F2} ms p99 {result.HighRate.P99Ms:F2} ms at {result.HighRate.AskedKopsS:F0} k/s (achieved {result.HighRate.AchievedKopsS:F0}), failover {result.FailoverMs:F0} ms, acked flows lost {result.LostAckedFlows}"));
            return result.LostAckedFlows == 0 ? ExitCodes.Ok : ExitCodes.CheckFailed;
        });
        return command;
    }
}
