using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Core.Tests.Engine;

/// <summary>Worked examples of D3 (masking), D5 (pairs), D6 (aging, reclaim on full) and vendor metadata.</summary>
public sealed class FlowTableExampleTests
{
    private static readonly FlowRewrite s_rewrite = new(
        new UnderlayEncap(100, IpAddress.Parse("100.0.0.1"), IpAddress.Parse("100.0.0.2"), new MacAddress(0xA), new MacAddress(0xB), DashEncapsulation.Vxlan),
        default,
        new OverlayRewrite(new MacAddress(0xC), IpAddress.Parse("1.1.1.1"), default, IpAddress.Parse("255.255.255.255"), default));

    private static FlowKey Key(int host, ushort srcPort = 1000, ushort dstPort = 80, ushort vnet = 7) => new(
        new MacAddress(0x0200_0000_0001UL), vnet, 6, IpAddress.FromV4(0x0A00_0000u | (uint)host), IpAddress.Parse("10.1.0.1"), srcPort, dstPort);

    private static FlowState Forward(in FlowKey reverse, uint version = 7) => new()
    {
        Version = version,
        Direction = FlowDirection.Outbound,
        Actions = FlowAction.EncapU0 | FlowAction.Snat,
        MeterClass = 3,
        IsUnidirectional = false,
        ReverseKey = reverse,
        Rewrite = s_rewrite,
        SyncState = FlowSyncState.FlowCreated,
    };

    private static FlowState Unidirectional(uint version = 1) => new() { Version = version, IsUnidirectional = true, Direction = FlowDirection.Inbound };

    private static FlowTable Table(long capacity = 64, uint ttlMs = 0, FlowEnabledKey enabled = FlowEnabledKey.All, FlowClock? clock = null) =>
        new(new FlowTableOptions(capacity, enabled, ttlMs, clock ?? FlowClock.Manual(1_000)));

    private struct SetUnidirectional : IFlowEntryMutator
    {
        public readonly SaiStatus Mutate(ref FlowState state)
        {
            state.IsUnidirectional = true;
            return SaiStatus.Success;
        }

        public readonly bool ReplacesVendorMetadata => false;

        public readonly ReadOnlySpan<byte> VendorMetadata => default;
    }

    private struct ReplaceVendor(byte[] vendor) : IFlowEntryMutator
    {
        public readonly SaiStatus Mutate(ref FlowState state)
        {
            state.MeterClass++;
            return SaiStatus.Success;
        }

        public readonly bool ReplacesVendorMetadata => true;

        public readonly ReadOnlySpan<byte> VendorMetadata => vendor;
    }

    // ---- D5: pairs ---------------------------------------------------------------------------------------------------

    [Fact]
    public void Create_BidirectionalWithMissingReverse_CreatesReverseWithOppositeDirectionAndNoActions()
    {
        using var table = Table();
        var forward = Key(1);
        var reverse = forward.Reversed();

        Assert.Equal(SaiStatus.Success, table.Create(forward, Forward(reverse), [1, 2, 3]));

        Assert.Equal(2, table.Count);
        Assert.Equal(SaiStatus.Success, table.Get(reverse, out var state, out var vendor));
        Assert.Equal(new FlowState
        {
            Version = 7,
            Direction = FlowDirection.Inbound,
            ReverseKey = forward,
            SyncState = FlowSyncState.FlowCreated,
        }, state);
        Assert.Empty(vendor);
        Assert.Equal(2, table.Counters.Created);
    }

    [Fact]
    public void TryReadReverseKey_Hit_ReturnsStoredReverseKeyAndFailsAfterChange()
    {
        using var table = Table();
        var forward = Key(1);
        var reverse = Key(9, srcPort: 80, dstPort: 4242).Reversed();
        Assert.Equal(SaiStatus.Success, table.Create(forward, Forward(reverse)));

        Assert.True(table.TryLookup(forward, out var hit));
        Assert.True(table.TryReadReverseKey(hit, out var readForward));
        Assert.True(table.TryLookup(reverse, out var reverseHit));
        Assert.True(table.TryReadReverseKey(reverseHit, out var readReverse));

        Assert.Equal(reverse, readForward);
        Assert.Equal(forward, readReverse);
        Assert.Equal(SaiStatus.Success, table.Remove(forward));
        Assert.False(table.TryReadReverseKey(hit, out _)); // the record changed since the hit: look up again
    }

    [Theory]
    [InlineData(FlowDirection.Inbound, FlowDirection.Outbound)]
    [InlineData(FlowDirection.Invalid, FlowDirection.Invalid)]
    public void Create_BidirectionalWithMissingReverse_ReverseDirectionIsOpposite(FlowDirection forwardDirection, FlowDirection expected)
    {
        using var table = Table();
        var state = Forward(Key(1).Reversed());
        state.Direction = forwardDirection;
        Assert.Equal(SaiStatus.Success, table.Create(Key(1), state));
        Assert.Equal(SaiStatus.Success, table.Get(Key(1).Reversed(), out var reverse, out _));
        Assert.Equal(expected, reverse.Direction);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Remove_EitherSideOfLinkedPair_RemovesBoth(bool removeForward)
    {
        using var table = Table();
        var forward = Key(1);
        Assert.Equal(SaiStatus.Success, table.Create(forward, Forward(forward.Reversed())));

        Assert.Equal(SaiStatus.Success, table.Remove(removeForward ? forward : forward.Reversed()));

        Assert.Equal(0, table.Count);
        Assert.False(table.Contains(forward));
        Assert.False(table.Contains(forward.Reversed()));
        Assert.Equal(2, table.Counters.Removed);
    }

    [Fact]
    public void Remove_AfterSettingUnidirectional_RemovesOnlyThatEntry()
    {
        using var table = Table();
        var forward = Key(1);
        Assert.Equal(SaiStatus.Success, table.Create(forward, Forward(forward.Reversed())));
        var mutator = new SetUnidirectional();

        Assert.Equal(SaiStatus.Success, table.Update(forward, ref mutator));
        Assert.Equal(SaiStatus.Success, table.Remove(forward));

        Assert.Equal(1, table.Count);
        Assert.True(table.Contains(forward.Reversed()));
        Assert.False(table.Contains(forward));
    }

    [Fact]
    public void Create_ExplicitReverseOfImplicitEntry_ClaimsItAndLinksThePair()
    {
        using var table = Table();
        var forward = Key(1);
        var reverse = forward.Reversed();
        Assert.Equal(SaiStatus.Success, table.Create(forward, Forward(reverse)));
        var explicitReverse = Forward(forward, version: 9);
        explicitReverse.Direction = FlowDirection.Inbound;

        Assert.Equal(SaiStatus.Success, table.Create(reverse, explicitReverse, [42]));

        Assert.Equal(2, table.Count);
        Assert.Equal(SaiStatus.Success, table.Get(reverse, out var state, out var vendor));
        Assert.Equal(explicitReverse, state);
        Assert.Equal(new byte[] { 42 }, vendor);
        Assert.Equal(SaiStatus.ItemAlreadyExists, table.Create(reverse, explicitReverse)); // claimed once only
        Assert.Equal(SaiStatus.Success, table.Remove(reverse));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Create_ImplicitEntryWithDifferentReverse_ItemAlreadyExists()
    {
        using var table = Table();
        var forward = Key(1);
        Assert.Equal(SaiStatus.Success, table.Create(forward, Forward(forward.Reversed())));

        Assert.Equal(SaiStatus.ItemAlreadyExists, table.Create(forward.Reversed(), Forward(Key(2))));
        Assert.Equal(SaiStatus.ItemAlreadyExists, table.Create(forward.Reversed(), Unidirectional()));
        Assert.Equal(2, table.Counters.CreateFailed);
    }

    [Fact]
    public void Create_UnidirectionalWithReverseKey_CreatesNoReverse()
    {
        using var table = Table();
        var state = Forward(Key(1).Reversed());
        state.IsUnidirectional = true;

        Assert.Equal(SaiStatus.Success, table.Create(Key(1), state));

        Assert.Equal(1, table.Count);
        Assert.False(table.Contains(Key(1).Reversed()));
    }

    [Fact]
    public void Create_BidirectionalNamingExistingEntry_CreatesNothingElseAndDoesNotLinkOneWay()
    {
        using var table = Table();
        Assert.Equal(SaiStatus.Success, table.Create(Key(2), Unidirectional()));

        Assert.Equal(SaiStatus.Success, table.Create(Key(1), Forward(Key(2))));
        Assert.Equal(2, table.Count);
        Assert.Equal(SaiStatus.Success, table.Remove(Key(1))); // Key(2) names no reverse: not a pair
        Assert.True(table.Contains(Key(2)));
    }

    // ---- D3: masking -------------------------------------------------------------------------------------------------

    [Fact]
    public void Create_KeysDifferingOnlyInDisabledField_AreTheSameEntry()
    {
        using var table = Table(enabled: FlowEnabledKey.All & ~FlowEnabledKey.SrcPort);
        Assert.Equal(SaiStatus.Success, table.Create(Key(1, srcPort: 1000), Unidirectional(5)));

        Assert.Equal(SaiStatus.ItemAlreadyExists, table.Create(Key(1, srcPort: 2000), Unidirectional(6)));
        Assert.Equal(SaiStatus.Success, table.Get(Key(1, srcPort: 3000), out var state, out _));
        Assert.Equal(5u, state.Version);
        Assert.True(table.TryLookup(Key(1, srcPort: 4000), out var hit));
        Assert.True(hit.Found);
        Assert.Equal(SaiStatus.Success, table.Remove(Key(1, srcPort: 5000)));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Create_KeysDifferingInEnabledField_AreDistinctEntries()
    {
        using var table = Table(enabled: FlowEnabledKey.All & ~FlowEnabledKey.SrcPort);
        Assert.Equal(SaiStatus.Success, table.Create(Key(1, dstPort: 80), Unidirectional()));
        Assert.Equal(SaiStatus.Success, table.Create(Key(1, dstPort: 443), Unidirectional()));
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void Create_ReverseKeyWithDisabledField_IsStoredAndCreatedMasked()
    {
        using var table = Table(enabled: FlowEnabledKey.All & ~FlowEnabledKey.Vni);
        var forward = Key(1, vnet: 5);
        var reverse = Key(2, vnet: 9);

        Assert.Equal(SaiStatus.Success, table.Create(forward, Forward(reverse)));

        Assert.Equal(SaiStatus.Success, table.Get(forward, out var state, out _));
        Assert.Equal(0, state.ReverseKey.VnetId);
        Assert.Equal(reverse.Masked(table.EnabledKey), state.ReverseKey);
        Assert.Equal(SaiStatus.Success, table.Get(Key(2, vnet: 55), out var implicitReverse, out _));
        Assert.Equal(Key(1, vnet: 0), implicitReverse.ReverseKey);
        Assert.Equal(table.MaskKey(forward), forward.Masked(table.EnabledKey));
    }

    // ---- D6: aging ---------------------------------------------------------------------------------------------------

    [Fact]
    public void SweepAging_PairWithOneSideActive_MarksNeitherUntilBothAreIdle()
    {
        var clock = FlowClock.Manual(1_000);
        using var table = Table(ttlMs: 100, clock: clock);
        var forward = Key(1);
        Assert.Equal(SaiStatus.Success, table.Create(forward, Forward(forward.Reversed())));

        clock.Advance(60);
        Assert.True(table.TryLookup(forward.Reversed(), out _));
        clock.Advance(60); // forward idle 120 ms, reverse 60 ms

        Assert.Equal(0, table.SweepAgingFully());
        Assert.Equal(0, table.AgedCount);

        clock.Advance(40); // reverse idle 100 ms too
        Assert.Equal(2, table.SweepAgingFully());
        Assert.True(table.IsMarkedAged(forward));
        Assert.True(table.IsMarkedAged(forward.Reversed()));
        Assert.Equal(2, table.AgedCount);
        Assert.Equal(2, table.Counters.Aged);
    }

    [Fact]
    public void SweepAging_IdleTimeReachesTtl_MarksAtExactlyTtl()
    {
        var clock = FlowClock.Manual(1_000);
        using var table = Table(ttlMs: 100, clock: clock);
        Assert.Equal(SaiStatus.Success, table.Create(Key(1), Unidirectional()));

        clock.Advance(99);
        Assert.Equal(0, table.SweepAgingFully());
        clock.Advance(1);
        Assert.Equal(1, table.SweepAgingFully());
    }

    [Fact]
    public void SweepAging_LookupRefreshesButGetDoesNot_OnlyUnseenEntryMarked()
    {
        var clock = FlowClock.Manual(1_000);
        using var table = Table(ttlMs: 100, clock: clock);
        Assert.Equal(SaiStatus.Success, table.Create(Key(1), Unidirectional()));
        Assert.Equal(SaiStatus.Success, table.Create(Key(2), Unidirectional()));
        Assert.Equal(SaiStatus.Success, table.Create(Key(3), Unidirectional()));

        clock.Advance(50);
        Assert.True(table.TryLookup(Key(1), out _));
        var hits = new FlowHit[1];
        Assert.Equal(1, table.LookupBatch([Key(2)], hits));
        Assert.Equal(SaiStatus.Success, table.Get(Key(3), out _, out _));
        clock.Advance(50);

        Assert.Equal(1, table.SweepAgingFully());
        Assert.True(table.IsMarkedAged(Key(3)));
        Assert.False(table.IsMarkedAged(Key(1)));
        Assert.False(table.IsMarkedAged(Key(2)));
    }

    [Fact]
    public void SweepAging_MarkedEntry_StaysMarkedUntilRemoved()
    {
        var clock = FlowClock.Manual(1_000);
        using var table = Table(ttlMs: 10, clock: clock);
        Assert.Equal(SaiStatus.Success, table.Create(Key(1), Unidirectional()));
        clock.Advance(10);
        Assert.Equal(1, table.SweepAgingFully());

        Assert.True(table.TryLookup(Key(1), out var hit)); // a hit refreshes, but the mark is sticky
        Assert.True(hit.IsAged);
        Assert.Equal(0, table.SweepAgingFully());
        Assert.Equal(1, table.AgedCount);
        Assert.Equal(SaiStatus.Success, table.Remove(Key(1)));
        Assert.Equal(0, table.AgedCount);
    }

    [Fact]
    public void SweepAging_TtlZero_NeverMarks()
    {
        var clock = FlowClock.Manual(1_000);
        using var table = Table(ttlMs: 0, clock: clock);
        Assert.Equal(SaiStatus.Success, table.Create(Key(1), Unidirectional()));
        clock.Advance(1_000_000);
        Assert.Equal(0, table.SweepAgingFully());
        Assert.False(table.IsMarkedAged(Key(1)));
    }

    // ---- table full and reclaim --------------------------------------------------------------------------------------

    [Fact]
    public void Create_FullTableWithoutAgedEntries_TableFull()
    {
        using var table = Table(capacity: 4);
        for (int i = 1; i <= 4; i++)
        {
            Assert.Equal(SaiStatus.Success, table.Create(Key(i), Unidirectional()));
        }

        Assert.Equal(SaiStatus.TableFull, table.Create(Key(5), Unidirectional()));

        Assert.Equal(4, table.Count);
        Assert.False(table.Contains(Key(5)));
        Assert.Equal(1, table.Counters.TableFull);
        Assert.Equal(1, table.Counters.CreateFailed);
    }

    [Fact]
    public void Create_BidirectionalNeedingTwoRecordsWithOneFree_TableFullAndNothingCreated()
    {
        using var table = Table(capacity: 3);
        Assert.Equal(SaiStatus.Success, table.Create(Key(1), Unidirectional()));
        Assert.Equal(SaiStatus.Success, table.Create(Key(2), Unidirectional()));

        Assert.Equal(SaiStatus.TableFull, table.Create(Key(3), Forward(Key(3).Reversed())));

        Assert.Equal(2, table.Count);
        Assert.False(table.Contains(Key(3)));
        Assert.False(table.Contains(Key(3).Reversed()));
        Assert.Equal(SaiStatus.Success, table.Create(Key(3), Unidirectional()));
    }

    [Fact]
    public void Create_FullTableWithAgedEntries_ReclaimsOnlyAgedEntriesAndSucceeds()
    {
        var clock = FlowClock.Manual(1_000);
        using var table = Table(capacity: 4, ttlMs: 10, clock: clock);
        Assert.Equal(SaiStatus.Success, table.Create(Key(1), Unidirectional()));
        Assert.Equal(SaiStatus.Success, table.Create(Key(2), Unidirectional()));
        clock.Advance(10);
        Assert.Equal(SaiStatus.Success, table.Create(Key(3), Unidirectional()));
        Assert.Equal(SaiStatus.Success, table.Create(Key(4), Unidirectional()));
        Assert.Equal(2, table.SweepAgingFully());

        Assert.Equal(SaiStatus.Success, table.Create(Key(5), Unidirectional()));

        Assert.Equal(4, table.Count);
        Assert.True(table.Contains(Key(3)) && table.Contains(Key(4)) && table.Contains(Key(5)));
        Assert.True(table.Contains(Key(1)) ^ table.Contains(Key(2)), "exactly one aged entry is reclaimed for one new entry");
        Assert.Equal(1, table.Counters.Reclaimed);
        Assert.Equal(1, table.AgedCount);
        Assert.Equal(0, table.Counters.TableFull);
    }

    [Fact]
    public void Create_FullTableWithAgedPair_ReclaimsBothSides()
    {
        var clock = FlowClock.Manual(1_000);
        using var table = Table(capacity: 4, ttlMs: 10, clock: clock);
        Assert.Equal(SaiStatus.Success, table.Create(Key(1), Forward(Key(1).Reversed())));
        clock.Advance(10);
        Assert.Equal(2, table.SweepAgingFully());
        Assert.Equal(SaiStatus.Success, table.Create(Key(2), Unidirectional()));
        Assert.Equal(SaiStatus.Success, table.Create(Key(3), Unidirectional()));

        Assert.Equal(SaiStatus.Success, table.Create(Key(4), Unidirectional()));

        Assert.Equal(3, table.Count);
        Assert.False(table.Contains(Key(1)));
        Assert.False(table.Contains(Key(1).Reversed()));
        Assert.Equal(2, table.Counters.Reclaimed);
        Assert.Equal(0, table.AgedCount);
    }

    // ---- vendor metadata ---------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(1000)]
    [InlineData(VendorDataPool.MaxLength)]
    public void Create_VendorMetadata_RoundTripsThroughGetAndScan(int length)
    {
        using var table = Table();
        var vendor = new byte[length];
        new Random(length).NextBytes(vendor);

        Assert.Equal(SaiStatus.Success, table.Create(Key(1), Unidirectional(), vendor));

        Assert.Equal(SaiStatus.Success, table.Get(Key(1), out _, out var read));
        Assert.Equal(vendor, read);
        var visitor = new VendorVisitor();
        var cursor = default(FlowScanCursor);
        table.Scan(ref cursor, int.MaxValue, ref visitor);
        Assert.Equal(vendor, visitor.Vendor);
    }

    [Fact]
    public void Create_VendorMetadataOverMaxLength_InvalidParameterAndNothingCreated()
    {
        using var table = Table();
        Assert.Equal(SaiStatus.InvalidParameter, table.Create(Key(1), Unidirectional(), new byte[VendorDataPool.MaxLength + 1]));
        Assert.Equal(0, table.Count);
        Assert.False(table.Contains(Key(1)));
    }

    [Fact]
    public void Update_VendorMetadataOverMaxLength_InvalidParameterAndEntryUnchanged()
    {
        using var table = Table();
        Assert.Equal(SaiStatus.Success, table.Create(Key(1), Unidirectional(), [9, 9]));
        var mutator = new ReplaceVendor(new byte[VendorDataPool.MaxLength + 1]);

        Assert.Equal(SaiStatus.InvalidParameter, table.Update(Key(1), ref mutator));

        Assert.Equal(SaiStatus.Success, table.Get(Key(1), out var state, out var vendor));
        Assert.Equal(Unidirectional(), state);
        Assert.Equal(new byte[] { 9, 9 }, vendor);
        Assert.Equal(0, table.Counters.Updated);
    }

    [Fact]
    public void Update_ReplacingVendorMetadata_ReplacesBytesAndState()
    {
        using var table = Table();
        Assert.Equal(SaiStatus.Success, table.Create(Key(1), Unidirectional(), [1, 2, 3]));
        var grow = new ReplaceVendor(new byte[300]);
        var clear = new ReplaceVendor([]);

        Assert.Equal(SaiStatus.Success, table.Update(Key(1), ref grow));
        Assert.Equal(SaiStatus.Success, table.Get(Key(1), out var state, out var vendor));
        Assert.Equal(new byte[300], vendor);
        Assert.Equal(1u, state.MeterClass);
        Assert.Equal(SaiStatus.Success, table.Update(Key(1), ref clear));
        Assert.Equal(SaiStatus.Success, table.Get(Key(1), out _, out vendor));
        Assert.Empty(vendor);
        Assert.Equal(2, table.Counters.Updated);
    }

    // ---- rewrite descriptors -----------------------------------------------------------------------------------------

    [Fact]
    public void Churn_RewritesReadBackAndRemovedRecordsGiveTheirDescriptorBackWhenReused()
    {
        // Arrange: a small table churned with 40 distinct rewrites; removed records keep theirs until reused
        const int Capacity = 32;
        using var table = Table(Capacity);
        var random = new Random(11);
        var model = new Dictionary<int, FlowRewrite>();
        static FlowRewrite RewriteNumber(int n) => s_rewrite with { Overlay = s_rewrite.Overlay with { DstMac = new MacAddress(0x0200_0000_0000UL | (uint)n) } };

        // Act: random creates and removes, every live entry read back after each step
        for (int step = 0; step < 5_000; step++)
        {
            int host = random.Next(Capacity * 2);
            if (model.Remove(host))
            {
                Assert.Equal(SaiStatus.Success, table.Remove(Key(host)));
            }
            else if (model.Count < Capacity)
            {
                var rewrite = RewriteNumber(random.Next(40));
                Assert.Equal(SaiStatus.Success, table.Create(Key(host), Unidirectional() with { Rewrite = rewrite }));
                model[host] = rewrite;
            }

            Assert.InRange(table.RewriteDescriptors, 0, Capacity); // one per record at most, live or removed
            foreach (var (live, rewrite) in model)
            {
                Assert.Equal(SaiStatus.Success, table.Get(Key(live), out var state, out _));
                Assert.Equal(rewrite, state.Rewrite);
            }
        }

        // Empty the table, then fill every record again with one rewrite: each reuse releases the descriptor it held.
        foreach (int host in model.Keys)
        {
            Assert.Equal(SaiStatus.Success, table.Remove(Key(host)));
        }

        for (int host = 0; host < Capacity; host++)
        {
            Assert.Equal(SaiStatus.Success, table.Create(Key(host), Unidirectional() with { Rewrite = RewriteNumber(99) }));
        }

        // Assert
        Assert.Equal(1, table.RewriteDescriptors);
        Assert.Equal(SaiStatus.Success, table.Get(Key(Capacity - 1), out var last, out _));
        Assert.Equal(RewriteNumber(99), last.Rewrite);
    }

    private struct VendorVisitor : IFlowScanVisitor
    {
        public byte[]? Vendor;

        public readonly bool NeedsState => true;

        public readonly bool Accept(in FlowEntryView view) => true;

        public bool Visit(in FlowEntryView view, in FlowState state, ReadOnlySpan<byte> vendorMetadata)
        {
            Vendor = vendorMetadata.ToArray();
            return true;
        }
    }
}
