using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Bench.Engine;

/// <summary>The figures of one engine run (million operations per second; bytes; milliseconds).</summary>
public sealed record EngineResult(
    int Flows,
    double InsertMops,
    double LookupMops,
    double BatchLookupMops,
    double DeleteMops,
    double BytesPerFlow,
    double GcPauseMs,
    long Check,
    long InsertFail)
{
    /// <summary>One JSON line with the keys the issue names (and the peers' extra fields).</summary>
    public string ToJson() => string.Create(CultureInfo.InvariantCulture,
        $"{{\"peer\":\"dashflow\",\"flows\":{Flows},\"insert_fail\":{InsertFail},\"insert_mops\":{InsertMops:F2},\"lookup_mops\":{LookupMops:F2},\"batch_lookup_mops\":{BatchLookupMops:F2},\"delete_mops\":{DeleteMops:F2},\"bytes_per_flow\":{BytesPerFlow:F1},\"gc_pause_ms\":{GcPauseMs:F2},\"check\":{Check}}}");
}

/// <summary>
/// Single-thread insert, lookup, batched lookup and delete on the peers' key set, with full outbound flow state, plus
/// memory per flow and the worst full-GC pause with the table loaded. The measuring thread is pinned to one CPU, as the
/// rte_hash peer's is.
/// </summary>
public static class EngineBenchmark
{
    private const int BatchSize = 32;

    /// <summary>Runs the benchmark at one table size.</summary>
    public static EngineResult Run(int flows)
    {
        var templates = OutboundFlowStates.MakeTemplates();
        var keys = BenchKeys.Make(flows, out int[] order);
        using var pinned = ThreadPinning.PinToCurrentCpu(); // as the rte_hash peer's thread is
        using var warm = Warmup(templates); // keeps the JIT's hot paths at tier 1 and stays alive, as the peers do

        long rssBefore = SettledWorkingSet();
        // One thread writes, as in the peers; the biased writer lock is what such a table would use.
        var table = new FlowTable(new FlowTableOptions(flows, FlowEnabledKey.All, 0, FlowClock.Manual(), BiasWriterLock: true));
        long failures = 0;
        var watch = Stopwatch.StartNew();
        failures += Insert(table, keys, templates);
        double insertSeconds = watch.Elapsed.TotalSeconds;
        long rssAfter = SettledWorkingSet();

        double gcPause = WorstFullGcPauseMs();

        watch.Restart();
        long check = Lookup(table, keys, order);
        double lookupSeconds = watch.Elapsed.TotalSeconds;

        watch.Restart();
        long batchHits = LookupBatched(table, keys, order);
        double batchSeconds = watch.Elapsed.TotalSeconds;

        watch.Restart();
        long removed = Delete(table, keys, order);
        double deleteSeconds = watch.Elapsed.TotalSeconds;
        table.Dispose();
        GC.KeepAlive(keys);

        if (removed != flows - failures || batchHits < flows / BatchSize * BatchSize)
        {
            throw new InvalidOperationException($"engine benchmark self-check failed: removed {removed}, batch hits {batchHits}, flows {flows}");
        }

        return new EngineResult(
            flows,
            flows / insertSeconds / 1e6,
            flows / lookupSeconds / 1e6,
            (flows / BatchSize * BatchSize) / batchSeconds / 1e6,
            flows / deleteSeconds / 1e6,
            (double)(rssAfter - rssBefore) / flows,
            gcPause,
            check,
            failures);
    }

    // Timed loops are compiled fully optimized at once, so the measurement never runs tier-0 or on-stack-replacement code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long Insert(FlowTable table, FlowKey[] keys, FlowState[] templates)
    {
        long failures = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            ref var state = ref templates[i & (OutboundFlowStates.Destinations - 1)];
            state.ReverseKey = keys[i].Reversed();
            if (table.Create(in keys[i], in state) != SaiStatus.Success)
            {
                failures++;
            }
        }

        return failures;
    }

    // Timed loops are compiled fully optimized at once, so the measurement never runs tier-0 or on-stack-replacement code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long Lookup(FlowTable table, FlowKey[] keys, int[] order)
    {
        long hits = 0;
        foreach (int k in order)
        {
            if (table.TryLookup(in keys[k], out var hit) && hit.Actions == (FlowAction.EncapU0 | FlowAction.SetDmac))
            {
                hits++;
            }
        }

        return hits;
    }

    // Timed loops are compiled fully optimized at once, so the measurement never runs tier-0 or on-stack-replacement code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long LookupBatched(FlowTable table, FlowKey[] keys, int[] order)
    {
        Span<FlowKey> batch = new FlowKey[BatchSize];
        Span<FlowHit> hits = new FlowHit[BatchSize];
        long found = 0;
        for (int i = 0; i + BatchSize <= order.Length; i += BatchSize)
        {
            for (int j = 0; j < BatchSize; j++)
            {
                batch[j] = keys[order[i + j]];
            }

            found += table.LookupBatch(batch, hits);
        }

        return found;
    }

    // Timed loops are compiled fully optimized at once, so the measurement never runs tier-0 or on-stack-replacement code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long Delete(FlowTable table, FlowKey[] keys, int[] order)
    {
        long removed = 0;
        foreach (int k in order)
        {
            if (table.Remove(in keys[k]) == SaiStatus.Success)
            {
                removed++;
            }
        }

        return removed;
    }

    /// <summary>Runs every phase on a small table for about 0.6 s so tiered JIT has promoted the hot paths.</summary>
    private static FlowTable Warmup(FlowState[] templates)
    {
        const int WarmFlows = 20_000;
        var keys = BenchKeys.Make(WarmFlows, out int[] order);
        var table = new FlowTable(new FlowTableOptions(WarmFlows, FlowEnabledKey.All, 0, FlowClock.Manual(), BiasWriterLock: true));
        var watch = Stopwatch.StartNew();
        while (watch.ElapsedMilliseconds < 600)
        {
            Insert(table, keys, templates);
            Lookup(table, keys, order);
            LookupBatched(table, keys, order);
            Delete(table, keys, order);
        }

        Insert(table, keys, templates);
        return table;
    }

    private static long SettledWorkingSet()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }

    private static double WorstFullGcPauseMs()
    {
        double worst = 0;
        for (int i = 0; i < 3; i++)
        {
            var watch = Stopwatch.StartNew();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
            worst = Math.Max(worst, watch.Elapsed.TotalMilliseconds);
        }

        return worst;
    }
}
