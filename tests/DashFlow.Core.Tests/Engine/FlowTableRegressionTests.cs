using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Core.Tests.Engine;

/// <summary>Regressions found in review: an active flow read as aged, and overflow buckets running out under churn.</summary>
public sealed class FlowTableRegressionTests
{
    private static FlowKey Key(uint i) => new(new MacAddress(2), 1, 6, IpAddress.FromV4(0x0A000000u + i), IpAddress.FromV4(0x0B000001), (ushort)i, 80);

    private static readonly FlowState s_state = new() { IsUnidirectional = true, Version = 1 };

    /// <summary>Refreshes the second entry (a lookup, as the data plane does) while the scan is on the first one.</summary>
    private struct RefreshingVisitor(FlowTable table, FlowKey other) : IFlowScanVisitor
    {
        public readonly List<(FlowKey Key, bool Aged)> Seen = [];

        public readonly bool NeedsState => false;

        public readonly bool Accept(in FlowEntryView view)
        {
            if (Seen.Count == 0)
            {
                table.Clock.Advance(5);
                Assert.True(table.TryLookup(in other, out _)); // stamps the other entry with a time after the scan's "now"
            }

            return true;
        }

        public readonly bool Visit(in FlowEntryView view, in FlowState state, ReadOnlySpan<byte> vendorMetadata)
        {
            Seen.Add((view.Key, view.IsAged));
            return true;
        }
    }

    [Fact]
    public void Scan_EntryRefreshedAfterTheSliceStarted_NotAged()
    {
        using var table = new FlowTable(new FlowTableOptions(16, FlowEnabledKey.All, 1000, FlowClock.Manual(10_000)));
        Assert.Equal(SaiStatus.Success, table.Create(Key(1), in s_state));
        Assert.Equal(SaiStatus.Success, table.Create(Key(2), in s_state));
        var visitor = new RefreshingVisitor(table, Key(2));
        var cursor = default(FlowScanCursor);

        table.Scan(ref cursor, 100, ref visitor);

        Assert.Equal(2, visitor.Seen.Count);
        Assert.All(visitor.Seen, s => Assert.False(s.Aged, $"{s.Key} read as aged while active"));
    }

    [Fact]
    public void Churn_ChainsGrowInManyBuckets_OverflowNeverRunsOut()
    {
        const int Capacity = 1024;
        using var table = new FlowTable(new FlowTableOptions(Capacity, FlowEnabledKey.All, 0, FlowClock.Manual()));
        long buckets = table.BucketCount;
        uint next = 0;
        for (long bucket = 0; bucket < 64; bucket++)
        {
            // Every key of this round lands in one home bucket, so its chain grows to ~140 overflow buckets.
            var keys = new List<FlowKey>();
            while (keys.Count < Capacity - 1)
            {
                var key = Key(next++);
                if (table.HomeBucketOf(in key) == bucket % buckets)
                {
                    keys.Add(key);
                }
            }

            foreach (var key in keys)
            {
                Assert.Equal(SaiStatus.Success, table.Create(in key, in s_state));
            }

            foreach (var key in keys)
            {
                Assert.True(table.TryLookup(in key, out _));
                Assert.Equal(SaiStatus.Success, table.Remove(in key));
            }

            Assert.Equal(0, table.Count);
        }

        for (uint i = 0; i < 100; i++)
        {
            Assert.Equal(SaiStatus.Success, table.Create(Key(i), in s_state));
        }

        var counter = new Counter();
        var cursor = default(FlowScanCursor);
        while (!cursor.IsComplete)
        {
            table.Scan(ref cursor, 4096, ref counter);
        }

        Assert.Equal(100, table.Count);
        Assert.Equal(100, counter.Count); // no ghost: every record a scan sees is in the index
    }

    private sealed class CounterBox
    {
        public int Count;
    }

    private readonly struct Counter() : IFlowScanVisitor
    {
        private readonly CounterBox _box = new();

        public int Count => _box.Count;

        public bool NeedsState => false;

        public bool Accept(in FlowEntryView view) => true;

        public bool Visit(in FlowEntryView view, in FlowState state, ReadOnlySpan<byte> vendorMetadata)
        {
            _box.Count++;
            return true;
        }
    }
}
