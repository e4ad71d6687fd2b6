using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DashFlow.Api;
using DashFlow.Bench.Engine;
using DashFlow.Ha.Roles;
using DashFlow.Model;
using DashFlow.Server.Ha;
using DashFlow.Server.Hosting;
using AgentHost = DashFlow.Server.Hosting.Agent;

namespace DashFlow.Bench.Sync;

/// <summary>What <c>dashflow bench sync</c> measured.</summary>
public sealed record SyncResult(int Flows, double BulkSyncMflowsS, double JoinMs, double InlineKopsS, double InlineAckP50Ms, double InlineAckP99Ms, double AckRateKopsS, double FailoverMs, long LostAckedFlows)
{
    /// <summary>The ack latency phase at a rate near the throughput target: the rate asked (k/s), the rate the creator
    /// achieved (k/s), and the ack latency percentiles (ms).</summary>
    public (double AskedKopsS, double AchievedKopsS, double P50Ms, double P99Ms) HighRate { get; init; }

    /// <summary>The collector's pauses during the high-rate phase, summed (so a tail can be told from a collection).</summary>
    public double HighRateGcPauseMs { get; init; }

    /// <summary>Flows created inline (untimed) before the throughput phase, so it measures a JIT-warmed pair.</summary>
    public int InlineWarmupFlows { get; init; }

    /// <summary>CPU time of the whole process (both agents and the creator) per flow of the throughput phase, in µs: the
    /// cost that a shared machine's noise does not blur.</summary>
    public double InlineCpuUsPerFlow { get; init; }

    /// <summary>One JSON line.</summary>
    public string ToJson() => string.Create(CultureInfo.InvariantCulture,
        $"{{\"flows\":{Flows},\"bulk_sync_mflows_s\":{BulkSyncMflowsS:F2},\"standby_join_ms\":{JoinMs:F0},\"inline_warmup_flows\":{InlineWarmupFlows},\"inline_kops_s\":{InlineKopsS:F0},\"inline_cpu_us_per_flow\":{InlineCpuUsPerFlow:F2},\"inline_ack_p50_ms\":{InlineAckP50Ms:F2},\"inline_ack_p99_ms\":{InlineAckP99Ms:F2},\"inline_ack_rate_kops_s\":{AckRateKopsS:F0},\"inline_ack_hi_rate_kops_s\":{HighRate.AskedKopsS:F0},\"inline_ack_hi_achieved_kops_s\":{HighRate.AchievedKopsS:F0},\"inline_ack_hi_p50_ms\":{HighRate.P50Ms:F2},\"inline_ack_hi_p99_ms\":{HighRate.P99Ms:F2},\"inline_ack_hi_gc_pause_ms\":{HighRateGcPauseMs:F1},\"failover_ms\":{FailoverMs:F0},\"lost_acked_flows\":{LostAckedFlows}}}");
}

/// <summary>
/// An active and a standby agent on loopback: bulk sync of N loaded flows to a joining standby (the rate while its
/// sessions stream; the whole join, from the active's InitializingToActive to Active, table set-up included, beside it), inline sync throughput (N more flows, at most 4M, created through the typed bulk
/// create, 1,024 per call, until the last is acked), inline ack latency at a paced rate (the latency target is about a loaded but not
/// saturated pair) and again at a paced rate near the 500k/s throughput target, then failover under churn: the active is killed, the time until the standby decides is measured,
/// and every flow the active had seen acked (SYNCED) is looked up on the new decider.
/// </summary>
public static class SyncBenchmark
{
    private const int Chunk = 1024;

    // The inline phase creates as many flows as the table holds, up to this: enough for a steady rate, and it keeps two
    // tables of a 32M-flow run (a DASH 200G card) within a 23 GB machine.
    private const int InlineFlowsMax = 4_000_000;

    /// <summary>Runs the pair; the ack latency is measured at <paramref name="ackRateKopsS"/> and again at
    /// <paramref name="highRateKopsS"/> (a rate near the 500k/s throughput target; 0 skips that phase). When
    /// <paramref name="warmupFlows"/> is above 0, that many flows are first created inline untimed (a running agent has
    /// its sync path JIT-compiled; a cold one spends a sixth of the phase's CPU in the JIT).</summary>
    public static async Task<SyncResult> RunAsync(int flows, double ackRateKopsS = 20, double highRateKopsS = 450, int warmupFlows = 100_000)
    {
        int portA = FreePort(), portB = FreePort();
        int warm = Math.Max(0, warmupFlows);
        int paced = Math.Min(1_000_000, (int)(ackRateKopsS * 1000 * 2)); // two seconds' worth
        int pacedHigh = Math.Min(1_000_000, (int)(highRateKopsS * 1000 * 2));
        int inlineFlows = Math.Min(flows, InlineFlowsMax);
        int capacity = flows + inlineFlows + warm + paced + pacedHigh + 400_000;
        var keys = BenchKeys.Make(capacity, out _);
        var templates = OutboundFlowStates.MakeTemplates();
        await using var a = await StartAsync(portA, portB, HaDesiredState.Active).ConfigureAwait(false);
        AgentHost? b = null;
        try
        {
            if (a.Api.CreateFlowTable(out var table,
            [
                SaiAttribute.U32(FlowTableAttr.MaxFlowCount, (uint)capacity),
                SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, (int)FlowEnabledKey.All),
            ]) != SaiStatus.Success)
            {
                throw new InvalidOperationException("cannot create the table");
            }

            Create(a.Api, table, keys, templates, 0, flows);

            // Bulk sync: the standby joins a loaded active.
            b = await StartAsync(portB, portA, HaDesiredState.Standby).ConfigureAwait(false);
            await WaitAsync(() => a.Ha!.State == HaState.Active && b.Ha!.State == HaState.Standby, TimeSpan.FromMinutes(5)).ConfigureAwait(false);
            var began = a.Ha!.Transitions.Last(t => t.To == HaState.InitializingToActive).AtTicks;
            var ended = a.Ha.Transitions.Last(t => t.To == HaState.Active).AtTicks;
            var (bulkFlows, streaming) = a.Ha.LastBulkSync;
            double bulk = bulkFlows / streaming.TotalSeconds / 1e6;
            double join = Stopwatch.GetElapsedTime(began, ended).TotalMilliseconds;

            // Untimed warm-up of the inline path (the JIT tiers the sync path up meanwhile).
            int next = flows + inlineFlows;
            if (warm > 0)
            {
                int warmFrom = next;
                await OffPool(() => Create(a.Api, table, keys, templates, warmFrom, warmFrom + warm)).ConfigureAwait(false);
                next += warm;
                await WaitAsync(() => a.Ha.PendingInline == 0, TimeSpan.FromMinutes(5)).ConfigureAwait(false);
                await Task.Delay(500).ConfigureAwait(false);
            }

            // Inline throughput: create as fast as the typed bulk create goes, until everything is acked.
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            await OffPool(() => Create(a.Api, table, keys, templates, flows, flows + inlineFlows)).ConfigureAwait(false);
            await WaitAsync(() => a.Ha.PendingInline == 0, TimeSpan.FromMinutes(5), () => $"{a.Ha.Status()} / {b.Ha!.Status()}").ConfigureAwait(false);
            double inline = inlineFlows / clock.Elapsed.TotalSeconds / 1e3;
            double cpuPerFlow = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / inlineFlows;

            // Ack latency at a paced rate: 100 flows every 1/rate ms-slice.
            a.Ha.AckLatency(clear: true);
            int pacedFrom = next;
            await OffPool(() => PacedCreate(a.Api, table, keys, templates, pacedFrom, pacedFrom + paced, ackRateKopsS)).ConfigureAwait(false);
            next += paced;
            await WaitAsync(() => a.Ha.PendingInline == 0, TimeSpan.FromMinutes(1)).ConfigureAwait(false);
            var (p50, p99, _) = a.Ha.AckLatency();

            // The same near the throughput target: the issue asks for the latency target at that rate.
            (double, double, double, double) high = default;
            double highGcPauseMs = 0;
            if (pacedHigh > 0)
            {
                await Task.Delay(200).ConfigureAwait(false);
                a.Ha.AckLatency(clear: true);
                var pacing = Stopwatch.StartNew();
                var paused = GC.GetTotalPauseDuration();
                int highFrom = next;
                await OffPool(() => PacedCreate(a.Api, table, keys, templates, highFrom, highFrom + pacedHigh, highRateKopsS)).ConfigureAwait(false);
                double achieved = pacedHigh / pacing.Elapsed.TotalSeconds / 1e3;
                await WaitAsync(() => a.Ha.PendingInline == 0, TimeSpan.FromMinutes(1)).ConfigureAwait(false);
                var (hp50, hp99, _) = a.Ha.AckLatency();
                highGcPauseMs = (GC.GetTotalPauseDuration() - paused).TotalMilliseconds;
                high = (highRateKopsS, achieved, hp50, hp99);
            }

            // Failover under churn: kill the active's HA node (as a crash: nothing more is acked), then the agent.
            int churnFrom = next + pacedHigh;
            using var stop = new CancellationTokenSource();
            var churn = Task.Factory.StartNew(() => Churn(a.Api, table, keys, templates, churnFrom, stop.Token), TaskCreationOptions.LongRunning);
            await Task.Delay(300).ConfigureAwait(false);
            long killed = Stopwatch.GetTimestamp();
            await a.Ha.DisposeAsync().ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            int churned = await churn.ConfigureAwait(false);
            await Task.Delay(200).ConfigureAwait(false); // acks settled before the kill finish marking SYNCED
            long lost = CountLostAcked(a.Api, b.Api, table, keys, churnFrom, churned);
            await WaitAsync(() => b.Ha!.Decides, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            var takeover = b.Ha!.Transitions.Last(t => t.To.Decides()).AtTicks;
            double failover = Stopwatch.GetElapsedTime(killed, takeover).TotalMilliseconds;
            return new SyncResult(flows, bulk, join, inline, p50, p99, ackRateKopsS, failover, lost) { HighRate = high, HighRateGcPauseMs = highGcPauseMs, InlineWarmupFlows = warm, InlineCpuUsPerFlow = cpuPerFlow };
        }
        finally
        {
            if (b is not null)
            {
                await b.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task<AgentHost> StartAsync(int port, int peerPort, HaDesiredState desired) => await AgentHost.StartAsync(new AgentOptions
    {
        Listen = $"127.0.0.1:{port}",
        LogLevel = "Warning",
        Ha = new HaOptions { Peer = $"127.0.0.1:{peerPort}", Desired = desired },
    }).ConfigureAwait(false);

    /// <summary>Runs the creator on its own thread, as an application's would be: a blocking creator on one of the two pool
    /// threads a 2-core machine starts with leaves the agents' gRPC work one thread until the pool grows.</summary>
    private static Task OffPool(Action create) => Task.Factory.StartNew(create, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    [ThreadStatic]
    private static (FlowEntryAddress[] Entries, FlowState[] States, SaiStatus[] Statuses)? _scratch;

    private static void Create(FlowApi api, FlowTableId table, FlowKey[] keys, FlowState[] templates, int from, int to)
    {
        // Reused per thread: a paced creator calls this a thousand times a second, and fresh arrays (the states alone are a
        // large-object allocation) cost the pair collections (ack p50 at 150k/s fell from 24 ms to 0.7 ms without them).
        var (entries, states, statuses) = _scratch ??= (new FlowEntryAddress[Chunk], new FlowState[Chunk], new SaiStatus[Chunk]);
        for (int start = from; start < to; start += Chunk)
        {
            int n = Math.Min(Chunk, to - start);
            for (int i = 0; i < n; i++)
            {
                entries[i] = new FlowEntryAddress(table, keys[start + i]);
                states[i] = templates[(start + i) % templates.Length];
            }

            api.CreateFlowEntries(entries.AsSpan(0, n), states.AsSpan(0, n), BulkErrorMode.IgnoreError, statuses.AsSpan(0, n));
        }
    }

    /// <summary>Creates at <paramref name="kopsS"/>: each wake-up (about every millisecond) creates what is due by then.</summary>
    /// <remarks>Sleeps between bursts: a creator spinning or yielding to keep a finer pace takes a whole core of the two
    /// the agents and the sync share.</remarks>
    private static void PacedCreate(FlowApi api, FlowTableId table, FlowKey[] keys, FlowState[] templates, int from, int to, double kopsS)
    {
        var clock = Stopwatch.StartNew();
        for (int next = from; next < to;)
        {
            int due = Math.Min(to, from + (int)(clock.Elapsed.TotalMilliseconds * kopsS));
            if (due > next)
            {
                Create(api, table, keys, templates, next, due);
                next = due;
            }
            else
            {
                Thread.Sleep(1);
            }
        }
    }

    private static int Churn(FlowApi api, FlowTableId table, FlowKey[] keys, FlowState[] templates, int from, CancellationToken stop)
    {
        int n = 0;
        while (!stop.IsCancellationRequested && from + n + 100 < keys.Length && n < 150_000)
        {
            Create(api, table, keys, templates, from + n, from + n + 100);
            n += 100;
            Thread.Sleep(1);
        }

        return n;
    }

    /// <summary>Flows of the churn the dead active had marked SYNCED (acked) that the standby does not hold.</summary>
    private static long CountLostAcked(FlowApi active, FlowApi standby, FlowTableId table, FlowKey[] keys, int from, int count)
    {
        if (!active.TryGetTable(table, out var a) || !standby.TryGetTable(table, out var b))
        {
            return -1;
        }

        long lost = 0;
        for (int i = from; i < from + count; i++)
        {
            if (a.Get(keys[i], out var state, out _) == SaiStatus.Success && state.SyncState == FlowSyncState.FlowSynced && !b.Contains(keys[i]))
            {
                lost++;
            }
        }

        return lost;
    }

    private static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, Func<string>? describe = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"bench sync: the pair did not reach the expected state {describe?.Invoke()}");
            }

            await Task.Delay(5).ConfigureAwait(false);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
