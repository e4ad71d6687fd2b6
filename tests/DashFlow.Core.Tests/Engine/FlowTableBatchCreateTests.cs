using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Core.Tests.Engine;

/// <summary>
/// <see cref="FlowTable.CreateBatch"/> against one <see cref="FlowTable.Create"/> after another on a twin table: random
/// batches (duplicates, pairs and claims of implicit reverses, a table that fills up, aged entries to reclaim, oversize
/// vendor metadata, partial key masks) must give the same statuses, stop at the same entry under STOP_ON_ERROR, and
/// leave the same entries, counters and observer calls.
/// </summary>
public sealed class FlowTableBatchCreateTests
{
    private static readonly FlowEnabledKey[] s_masks =
    [
        FlowEnabledKey.All,
        FlowEnabledKey.SrcIp | FlowEnabledKey.DstIp | FlowEnabledKey.SrcPort | FlowEnabledKey.DstPort,
        FlowEnabledKey.SrcPort | FlowEnabledKey.DstPort,
    ];

    private static readonly FlowRewrite[] s_rewrites =
    [
        default,
        new(new UnderlayEncap(7, IpAddress.FromV4(0x6400_0001), IpAddress.FromV4(0x6400_0002), new MacAddress(0x0A), new MacAddress(0x0B), DashEncapsulation.Vxlan), default, default),
        new(default, default, new OverlayRewrite(new MacAddress(0x0C), IpAddress.FromV4(0x0101_0101), IpAddress.FromV4(0x0202_0202), IpAddress.FromV4(0xFFFF_FF00), IpAddress.FromV4(0xFFFF_FFFF))),
    ];

    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        for (int seed = 1; seed <= 60; seed++)
        {
            data.Add(seed);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void CreateBatch_RandomBatches_SameAsSingleCreates(int seed)
    {
        var rng = new Random(seed);
        int capacity = rng.Next(8, 80);
        var mask = s_masks[seed % s_masks.Length];
        var clockA = FlowClock.Manual(1_000);
        var clockB = FlowClock.Manual(1_000);
        using var batched = new FlowTable(new FlowTableOptions(capacity, mask, TtlMs: 50, Clock: clockA));
        using var single = new FlowTable(new FlowTableOptions(capacity, mask, TtlMs: 50, Clock: clockB));
        var seenA = new RecordingObserver();
        var seenB = new RecordingObserver();
        batched.ObserveChanges(seenA, 1);
        single.ObserveChanges(seenB, 1);

        var pool = new FlowKey[capacity * 2];
        for (int i = 0; i < pool.Length; i++)
        {
            pool[i] = i > 0 && rng.Next(3) == 0 ? pool[rng.Next(i)].Reversed() : RandomKey(rng);
        }

        for (int round = 0; round < 12; round++)
        {
            int n = rng.Next(0, 100);
            var keys = new FlowKey[n];
            var states = new FlowState[n];
            var vendors = new byte[n][];
            for (int i = 0; i < n; i++)
            {
                keys[i] = pool[rng.Next(pool.Length)];
                states[i] = new FlowState
                {
                    Version = (uint)rng.Next(1, 5),
                    Direction = FlowDirection.Outbound,
                    IsUnidirectional = rng.Next(3) == 0,
                    ReverseKey = rng.Next(4) switch { 0 => default, 1 => pool[rng.Next(pool.Length)], _ => keys[i].Reversed() },
                    Rewrite = s_rewrites[rng.Next(s_rewrites.Length)],
                };
                vendors[i] = new byte[rng.Next(50) == 0 ? VendorDataPool.MaxLength + 1 : rng.Next(3) == 0 ? rng.Next(1, 40) : 0];
                rng.NextBytes(vendors[i]);
            }

            bool stopOnError = rng.Next(2) == 0;
            var statusesA = new SaiStatus[n];
            int attempted = batched.CreateBatch(keys, states, vendors, stopOnError, statusesA);

            var statusesB = new SaiStatus[n];
            int expected = n;
            for (int i = 0; i < n; i++)
            {
                statusesB[i] = single.Create(in keys[i], in states[i], vendors[i]);
                if (stopOnError && statusesB[i] != SaiStatus.Success)
                {
                    expected = i + 1;
                    break;
                }
            }

            string context = $"seed {seed}, round {round}, stop {stopOnError}";
            Assert.True(expected == attempted, context);
            Assert.True(statusesB.AsSpan(0, expected).SequenceEqual(statusesA.AsSpan(0, attempted)), context);
            AssertSameTables(batched, single, pool, context);
            Assert.True(seenB.Calls.SequenceEqual(seenA.Calls), context);

            // Between batches: time passes, some entries age (and become reclaimable), some are removed.
            clockA.Advance(30);
            clockB.Advance(30);
            batched.SweepAgingFully();
            single.SweepAgingFully();
            var victim = pool[rng.Next(pool.Length)];
            Assert.Equal(single.Remove(in victim), batched.Remove(in victim));
        }
    }

    [Fact]
    public void CreateBatch_NoVendorMetadataSpan_CreatesWithout()
    {
        using var table = new FlowTable(new FlowTableOptions(16));
        var rng = new Random(5);
        FlowKey[] keys = [RandomKey(rng), RandomKey(rng)];
        FlowState[] states = [new() { Version = 1, IsUnidirectional = true }, new() { Version = 2, IsUnidirectional = true }];
        var statuses = new SaiStatus[2];
        Assert.Equal(2, table.CreateBatch(keys, states, default, stopOnError: true, statuses));
        Assert.All(statuses, s => Assert.Equal(SaiStatus.Success, s));
        Assert.Equal(SaiStatus.Success, table.Get(in keys[1], out var held, out var vendor));
        Assert.Equal(2u, held.Version);
        Assert.Empty(vendor);
    }

    [Fact]
    public void CreateBatch_MismatchedSpans_Throws()
    {
        using var table = new FlowTable(new FlowTableOptions(16));
        Assert.Throws<ArgumentException>(() => table.CreateBatch(new FlowKey[2], new FlowState[1], default, false, new SaiStatus[2]));
        Assert.Throws<ArgumentException>(() => table.CreateBatch(new FlowKey[2], new FlowState[2], new byte[1][], false, new SaiStatus[2]));
        Assert.Throws<ArgumentException>(() => table.CreateBatch(new FlowKey[2], new FlowState[2], default, false, new SaiStatus[1]));
    }

    private static void AssertSameTables(FlowTable a, FlowTable b, FlowKey[] pool, string context)
    {
        Assert.True(b.Count == a.Count, context);
        Assert.True(b.AgedCount == a.AgedCount, context);
        Assert.True(b.Counters == a.Counters, context);
        var entriesA = new Collector { Entries = [] };
        var entriesB = new Collector { Entries = [] };
        a.ScanAll(ref entriesA);
        b.ScanAll(ref entriesB);
        Assert.True(entriesB.Entries.Order().SequenceEqual(entriesA.Entries.Order()), context);
        foreach (var key in pool)
        {
            var statusA = a.Get(in key, out var stateA, out var vendorA);
            var statusB = b.Get(in key, out var stateB, out var vendorB);
            Assert.True(statusB == statusA && stateB == stateA && vendorB.AsSpan().SequenceEqual(vendorA), context);
        }
    }

    private static FlowKey RandomKey(Random rng) => new(
        new MacAddress(0x0200_0000_0001UL + (ulong)rng.Next(2)),
        (ushort)(100 + rng.Next(2)),
        (byte)(rng.Next(2) == 0 ? 6 : 17),
        IpAddress.FromV4(0x0A00_0001u + (uint)rng.Next(3)),
        IpAddress.FromV4(0x0A00_0001u + (uint)rng.Next(3)),
        (ushort)rng.Next(3),
        (ushort)rng.Next(3));

    private struct Collector : IFlowScanVisitor
    {
        public List<string> Entries;

        public readonly bool NeedsState => true;

        public readonly bool Accept(in FlowEntryView view) => true;

        public readonly bool Visit(in FlowEntryView view, in FlowState state, ReadOnlySpan<byte> vendorMetadata)
        {
            Entries.Add($"{view.Key} {view.IsAged} {view.IsUnidirectional} {state} {Convert.ToHexString(vendorMetadata)}");
            return true;
        }
    }

    private sealed class RecordingObserver : IFlowChangeObserver
    {
        public List<string> Calls { get; } = [];

        public void OnWritten(ulong tableId, in FlowKey key, in FlowState state, ReadOnlySpan<byte> vendorMetadata, bool created) =>
            Calls.Add($"W {key} {state} {Convert.ToHexString(vendorMetadata)} {created}");

        public void OnRemoved(ulong tableId, in FlowKey key, uint version, bool aged) => Calls.Add($"R {key} {version} {aged}");
    }
}
