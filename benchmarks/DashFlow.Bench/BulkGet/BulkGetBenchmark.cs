using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using DashFlow.Api;
using DashFlow.Bench.Engine;
using DashFlow.Engine;
using DashFlow.Model;
using DashFlow.Records;
using DashFlow.Sessions;

namespace DashFlow.Bench.BulkGet;

/// <summary>The figures of one bulk-get run (million flows per second; bytes; a ratio).</summary>
public sealed record BulkGetResult(
    int Flows,
    double ScanMflows,
    double Scan5Mflows,
    double EventMflows,
    double PbEncodeMflows,
    double PbDecodeMflows,
    double PbBytesPerFlow,
    double LookupDuringScanRatio,
    long Scan5Matches)
{
    /// <summary>One JSON line with exactly the keys the issue names.</summary>
    public string ToJson() => string.Create(CultureInfo.InvariantCulture,
        $"{{\"flows\":{Flows},\"scan_mflows_s\":{ScanMflows:F2},\"scan5_mflows_s\":{Scan5Mflows:F2},\"event_mflows_s\":{EventMflows:F2},\"pb_encode_mflows_s\":{PbEncodeMflows:F2},\"pb_decode_mflows_s\":{PbDecodeMflows:F2},\"pb_bytes_per_flow\":{PbBytesPerFlow:F1},\"lookup_during_scan_ratio\":{LookupDuringScanRatio:F3}}}");
}

/// <summary>
/// Bulk get on the peers' key set with full outbound flow state (the engine benchmark's table): a full scan as a session
/// runs it (4,096-record slices of the engine cursor) with no filter and with five, EVENT-mode delivery through the
/// switch callback, protobuf record encode (the allocation-free writer) and decode (generated parser plus validation),
/// and single-key data-plane lookups on one thread while another scans, relative to the same lookups on an idle table.
/// </summary>
public static class BulkGetBenchmark
{
    private const int Slice = 4096;
    private const int DecodeSample = 1 << 20;

    /// <summary>Runs the benchmark at one table size.</summary>
    public static BulkGetResult Run(int flows)
    {
        Run(20_000, warmup: true); // tiered JIT promotes every phase's hot path before the measured run
        return Run(flows, warmup: false);
    }

    private static BulkGetResult Run(int flows, bool warmup)
    {
        var templates = OutboundFlowStates.MakeTemplates();
        var keys = BenchKeys.Make(flows, out int[] order);
        using var api = new FlowApi(new FlowApiOptions
        {
            Clock = FlowClock.Manual(),
            Capabilities = FlowCapabilities.Full with { MaxFlowEntryCount = uint.MaxValue },
        });
        if (api.CreateFlowTable(out var tableId, [SaiAttribute.U32(FlowTableAttr.MaxFlowCount, (uint)flows), SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, (int)FlowEnabledKey.All)]) != SaiStatus.Success
            || !api.TryGetTable(tableId, out var table))
        {
            throw new InvalidOperationException("bulk-get benchmark: cannot create the table");
        }

        for (int i = 0; i < keys.Length; i++)
        {
            ref var state = ref templates[i & (OutboundFlowStates.Destinations - 1)];
            state.ReverseKey = keys[i].Reversed();
            table.Create(in keys[i], in state);
        }

        int repeats = warmup ? 20 : 3;
        var all = FlowFilterPredicate.All;
        var five = FlowFilterPredicate.Compile(FiveFilters());
        double scan = Best(repeats, () => ScanAll(table, all), out long scanMatches);
        double scan5 = Best(repeats, () => ScanAll(table, five), out long scan5Matches);
        double events = Best(warmup ? 5 : 1, () => EventSession(api), out long delivered);
        double encode = Best(repeats, () => Encode(keys, templates), out long encodedBytes);
        var sample = EncodeSample(keys, templates, Math.Min(flows, DecodeSample));
        double decode = Best(repeats, () => Decode(sample), out _);
        double ratio = LookupDuringScan(table, keys, order, warmup);

        if (scanMatches != flows || delivered != flows)
        {
            throw new InvalidOperationException($"bulk-get benchmark self-check failed: scanned {scanMatches}, delivered {delivered}, flows {flows}");
        }

        return new BulkGetResult(flows, flows / scan / 1e6, flows / scan5 / 1e6, flows / events / 1e6, flows / encode / 1e6,
            sample.Count / decode / 1e6, (double)encodedBytes / flows, ratio, scan5Matches);
    }

    /// <summary>A realistic HA range query: version &lt; 5, one VNET, TCP, server ports, the upper half of sources.</summary>
    public static BulkGetFilter[] FiveFilters() =>
    [
        new(BulkGetFilterKey.KeyVersion, BulkGetFilterOp.LessThan, 5),
        new(BulkGetFilterKey.VnetId, BulkGetFilterOp.EqualTo, 100),
        new(BulkGetFilterKey.IpProtocol, BulkGetFilterOp.EqualTo, 6),
        new(BulkGetFilterKey.DstL4Port, BulkGetFilterOp.GreaterThanOrEqualTo, 1024),
        new(BulkGetFilterKey.SrcIpAddr, BulkGetFilterOp.GreaterThanOrEqualTo, IpValue: IpAddress.Parse("128.0.0.0")),
    ];

    /// <summary>Seconds of the fastest of <paramref name="repeats"/> runs; <paramref name="check"/> is that run's result.</summary>
    private static double Best(int repeats, Func<long> run, out long check)
    {
        double best = double.MaxValue;
        check = 0;
        for (int i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            long result = run();
            double seconds = watch.Elapsed.TotalSeconds;
            if (seconds < best)
            {
                (best, check) = (seconds, result);
            }
        }

        return best;
    }

    /// <summary>A full scan in session slices, counting matches.</summary>
    public static long ScanAll(FlowTable table, FlowFilterPredicate predicate)
    {
        var visitor = new FlowFilterCountVisitor(predicate);
        var cursor = default(FlowScanCursor);
        while (!cursor.IsComplete)
        {
            table.Scan(ref cursor, Slice, ref visitor);
        }

        return visitor.Matches;
    }

    /// <summary>An EVENT-mode session over the whole table, timed from creation to its FINISHED.</summary>
    private static long EventSession(FlowApi api)
    {
        long entries = 0;
        using var finished = new ManualResetEventSlim();
        api.RegisterBulkGetSessionEventCallback((_, events) =>
        {
            foreach (ref readonly var e in events)
            {
                if (e.EventType == BulkGetSessionEvent.FlowEntry)
                {
                    entries++;
                }
                else
                {
                    finished.Set();
                }
            }
        });
        if (api.CreateFlowEntryBulkGetSession(out var id, [SaiAttribute.S32(BulkGetSessionAttr.Mode, (int)BulkGetSessionMode.Event)]) != SaiStatus.Success)
        {
            throw new InvalidOperationException("bulk-get benchmark: cannot create the session");
        }

        finished.Wait();
        api.RemoveFlowEntryBulkGetSession(id);
        api.RegisterBulkGetSessionEventCallback(null);
        return entries;
    }

    private static long Encode(FlowKey[] keys, FlowState[] templates)
    {
        Span<byte> buffer = stackalloc byte[FlowRecordWriter.MaxSize(0)];
        long bytes = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            ref var state = ref templates[i & (OutboundFlowStates.Destinations - 1)];
            state.ReverseKey = keys[i].Reversed();
            bytes += FlowRecordWriter.Write(in keys[i], in state, default, buffer);
        }

        return bytes;
    }

    private static List<byte[]> EncodeSample(FlowKey[] keys, FlowState[] templates, int count)
    {
        var sample = new List<byte[]>(count);
        for (int i = 0; i < count; i++)
        {
            ref var state = ref templates[i & (OutboundFlowStates.Destinations - 1)];
            state.ReverseKey = keys[i].Reversed();
            sample.Add(FlowRecordCodec.Encode(in keys[i], in state, default));
        }

        return sample;
    }

    private static long Decode(List<byte[]> sample)
    {
        long version = 0;
        foreach (var record in sample)
        {
            if (FlowRecordCodec.TryDecode(record, out _, out var state, out _) != SaiStatus.Success)
            {
                throw new InvalidOperationException("bulk-get benchmark: a record did not decode");
            }

            version += state.Version;
        }

        return version;
    }

    /// <summary>
    /// Lookup rate on one thread while another thread runs full scans back to back, over the rate with the scanner
    /// paused. Idle and busy windows alternate, rates are lookups per second of the lookup thread's own CPU time (on
    /// Linux; wall time elsewhere) so that other processes taking the CPU away do not count as interference, while
    /// memory stalls caused by the scan do; the result is the median of the per-round ratios.
    /// </summary>
    private static double LookupDuringScan(FlowTable table, FlowKey[] keys, int[] order, bool warmup)
    {
        int rounds = warmup ? 3 : 15;
        int window = warmup ? 50_000 : 400_000;
        using var scanning = new ManualResetEventSlim();
        using var stop = new CancellationTokenSource();
        var scanner = new Thread(() =>
        {
            var visitor = new FlowFilterCountVisitor(FlowFilterPredicate.All);
            var cursor = default(FlowScanCursor);
            while (!stop.IsCancellationRequested)
            {
                scanning.Wait();
                if (cursor.IsComplete)
                {
                    cursor = default;
                }

                table.Scan(ref cursor, Slice, ref visitor);
            }
        }) { IsBackground = true, Name = "bulk-get scan" };
        scanner.Start();
        var ratios = new double[rounds];
        int position = 0;
        for (int round = 0; round < rounds; round++)
        {
            scanning.Reset();
            Thread.Sleep(1);
            double idle = LookupRate(table, keys, order, window, ref position);
            scanning.Set();
            Thread.Sleep(2); // the scan is streaming before the busy window starts
            double busy = LookupRate(table, keys, order, window, ref position);
            ratios[round] = busy / idle;
        }

        stop.Cancel();
        scanning.Set();
        scanner.Join();
        Array.Sort(ratios);
        return ratios[rounds / 2];
    }

    private static double LookupRate(FlowTable table, FlowKey[] keys, int[] order, int lookups, ref int position)
    {
        long hits = 0;
        int i = position;
        double start = ThreadCpuClock.NowSeconds();
        for (int n = 0; n < lookups; n++, i = i + 1 == order.Length ? 0 : i + 1)
        {
            if (table.TryLookup(in keys[order[i]], out _))
            {
                hits++;
            }
        }

        double seconds = ThreadCpuClock.NowSeconds() - start;
        position = i;
        if (hits != lookups)
        {
            throw new InvalidOperationException($"bulk-get benchmark: {lookups - hits} lookups missed");
        }

        return lookups / seconds;
    }
}

/// <summary>The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID) on Linux; elsewhere, wall time.</summary>
internal static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    public static double NowSeconds()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ClockThreadCpuTimeId, out var time) == 0)
        {
            return time.Seconds + time.Nanoseconds * 1e-9;
        }

        return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int ClockGetTime(int clockId, out Timespec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
