using DashFlow.Api;
using DashFlow.Ha.Inline;
using DashFlow.Ha.Standby;
using DashFlow.Model;

namespace DashFlow.Ha.Tests;

/// <summary>The standby's version rules (D7, spec §4.8): inline and bulk sync of one flow in any order, higher version wins.</summary>
public sealed class StandbyApplierTests : IDisposable
{
    private readonly FlowApi _api = new();
    private readonly StandbyApplier _applier;
    private readonly Engine.FlowTable _table;
    private readonly ulong _tableId;

    public StandbyApplierTests()
    {
        _applier = new StandbyApplier(_api, new HaCounters());
        Assert.Equal(SaiStatus.Success, _api.CreateFlowTable(out var id, new HaTableSpec(1024, FlowEnabledKey.All, 0).ToAttributes()));
        _tableId = id.Value;
        Assert.True(_api.TryGetTable(id, out _table));
    }

    public void Dispose() => _api.Dispose();

    private static readonly FlowKey Key = new(MacAddress.Parse("00:00:02:03:04:05"), 100, 6, IpAddress.Parse("10.1.1.1"), IpAddress.Parse("10.2.2.2"), 1234, 443);

    private static FlowState State(uint version) => new() { Version = version, Direction = FlowDirection.Outbound, IsUnidirectional = true, MeterClass = version };

    private uint HeldVersion()
    {
        Assert.Equal(SaiStatus.Success, _table.Get(Key, out var state, out _));
        Assert.Equal(FlowSyncState.FlowSynced, state.SyncState);
        Assert.Equal(state.Version, state.MeterClass); // the whole state came with its version
        return state.Version;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ApplyInlineCreates_SameAsOneInlineCreateAfterAnother(int seed)
    {
        // Repeated keys with random versions (equal, older, newer), flows already held, a table that fills up, timed
        // changes: the grouped apply against single ApplyInline calls on a twin, result by result and entry by entry.
        var rng = new Random(seed);
        using var twinApi = new FlowApi();
        var twinCounters = new HaCounters();
        var twin = new StandbyApplier(twinApi, twinCounters);
        Assert.Equal(SaiStatus.Success, twinApi.CreateFlowTable(out var twinId, new HaTableSpec(1024, FlowEnabledKey.All, 0).ToAttributes()));
        Assert.True(twinApi.TryGetTable(twinId, out var reference));
        FlowKey KeyOf(int i) => new(Key.EniMac, 100, 6, Key.SrcIp, Key.DstIp, (ushort)i, 443);
        for (int i = 0; i < 200; i++)
        {
            var held = State((uint)rng.Next(10));
            Assert.Equal(SaiStatus.Success, _table.Create(KeyOf(i), in held));
            Assert.Equal(SaiStatus.Success, reference.Create(KeyOf(i), in held));
        }

        int n = 1600 + rng.Next(300);
        var keys = new FlowKey[n];
        var states = new FlowState[n];
        var timed = new bool[n];
        var vendor = new byte[n][];
        var expected = new byte[n];
        for (int i = 0; i < n; i++)
        {
            keys[i] = KeyOf(rng.Next(2000));
            states[i] = State((uint)rng.Next(10));
            timed[i] = rng.Next(3) == 0;
            vendor[i] = rng.Next(10) == 0 ? [(byte)i] : [];
            expected[i] = (byte)twin.ApplyInline(reference, twinId.Value, SyncOp.Create, timed[i], in keys[i], in states[i], vendor[i]);
        }

        var results = new byte[n];
        _applier.ApplyInlineCreates(_table, _tableId, keys, states, vendor, timed, results);

        Assert.Equal(expected, results);
        Assert.Contains((byte)SyncResult.Failed, results); // the table filled up
        Assert.Contains((byte)SyncResult.IgnoredStaleVersion, results);
        Assert.Equal(reference.Count, _table.Count);
        for (int i = 0; i < 2000; i++)
        {
            Assert.Equal(reference.Get(KeyOf(i), out var want, out var wantVendor), _table.Get(KeyOf(i), out var got, out var gotVendor));
            Assert.Equal(want, got);
            Assert.Equal(wantVendor, gotVendor);
        }
    }

    [Fact]
    public void InlineThenOlderBulk_InlineVersionStays()
    {
        Assert.Equal(SyncResult.Applied, _applier.ApplyInline(_table, _tableId, SyncOp.Create, false, Key, State(5), []));

        Assert.Equal(SyncResult.IgnoredStaleVersion, _applier.ApplyBulk(_table, _tableId, Key, State(3), []));

        Assert.Equal(5u, HeldVersion());
    }

    [Fact]
    public void BulkThenNewerInline_InlineVersionWins()
    {
        Assert.Equal(SyncResult.Applied, _applier.ApplyBulk(_table, _tableId, Key, State(3), []));

        Assert.Equal(SyncResult.Applied, _applier.ApplyInline(_table, _tableId, SyncOp.Update, false, Key, State(5), []));

        Assert.Equal(5u, HeldVersion());
    }

    [Fact]
    public void InlineUpdatesOutOfOrder_OlderIgnored()
    {
        _applier.ApplyInline(_table, _tableId, SyncOp.Create, false, Key, State(1), []);
        _applier.ApplyInline(_table, _tableId, SyncOp.Update, false, Key, State(7), []);

        Assert.Equal(SyncResult.IgnoredStaleVersion, _applier.ApplyInline(_table, _tableId, SyncOp.Update, false, Key, State(4), []));
        Assert.Equal(7u, HeldVersion());
    }

    [Fact]
    public void BulkOfEqualVersion_DoesNotReplace_InlineOfEqualVersionDoes()
    {
        _applier.ApplyInline(_table, _tableId, SyncOp.Create, false, Key, State(4), []);

        Assert.Equal(SyncResult.IgnoredStaleVersion, _applier.ApplyBulk(_table, _tableId, Key, State(4), []));
        Assert.Equal(SyncResult.Applied, _applier.ApplyInline(_table, _tableId, SyncOp.Update, false, Key, State(4), []));
    }

    [Fact]
    public void UpdateOfUnknownFlow_IgnoredOutsideBulkSync_CreatedDuringIt()
    {
        Assert.Equal(SyncResult.IgnoredUnknownFlow, _applier.ApplyInline(_table, _tableId, SyncOp.Update, false, Key, State(2), []));
        Assert.False(_table.Contains(Key));

        _applier.BulkSyncing = true;
        Assert.Equal(SyncResult.Applied, _applier.ApplyInline(_table, _tableId, SyncOp.Update, false, Key, State(2), []));
        Assert.Equal(2u, HeldVersion());
    }

    [Fact]
    public void DeleteDuringBulkSync_ALaterBulkRecordOfTheDeletedFlowStaysDeleted()
    {
        _applier.BulkSyncing = true;
        _applier.ApplyInline(_table, _tableId, SyncOp.Create, false, Key, State(3), []);

        Assert.Equal(SyncResult.Applied, _applier.ApplyInline(_table, _tableId, SyncOp.Delete, false, Key, State(3), []));
        Assert.Equal(SyncResult.IgnoredStaleVersion, _applier.ApplyBulk(_table, _tableId, Key, State(3), []));

        Assert.False(_table.Contains(Key));
        Assert.Equal(SyncResult.Applied, _applier.ApplyBulk(_table, _tableId, Key, State(4), [])); // a newer flow of that key
    }

    [Fact]
    public void DeleteOlderThanHeld_Ignored_DeleteOfAbsent_Applied()
    {
        _applier.ApplyInline(_table, _tableId, SyncOp.Create, false, Key, State(6), []);

        Assert.Equal(SyncResult.IgnoredStaleVersion, _applier.ApplyInline(_table, _tableId, SyncOp.Delete, false, Key, State(5), []));
        Assert.Equal(SyncResult.Applied, _applier.ApplyInline(_table, _tableId, SyncOp.Delete, true, Key, State(6), []));
        Assert.Equal(SyncResult.Applied, _applier.ApplyInline(_table, _tableId, SyncOp.Delete, false, Key, State(6), []));
    }

    [Fact]
    public void RangeSyncDelete_OnlyOnExactVersion()
    {
        _applier.ApplyBulk(_table, _tableId, Key, State(6), []);

        Assert.Equal(SyncResult.IgnoredStaleVersion, _applier.DeleteExact(_table, Key, 5));
        Assert.True(_table.Contains(Key));
        Assert.Equal(SyncResult.Applied, _applier.DeleteExact(_table, Key, 6));
        Assert.False(_table.Contains(Key));
    }

    [Fact]
    public void EnsureTable_MirrorsTheActivesIdAndSpec()
    {
        ulong id = ObjectIds.Make(FlowObjectType.FlowTable, 77);

        Assert.True(_applier.EnsureTable(id, new HaTableSpec(2048, FlowEnabledKey.All, 5000), out var table));

        Assert.Equal(2048, table.MaxFlowCount);
        Assert.Equal(5000u, table.TtlMs);
        Assert.Contains(new FlowTableId(id), _api.FlowTableIds);
        Assert.Equal(SaiStatus.Success, _api.CreateFlowTable(out var next, new HaTableSpec(16, FlowEnabledKey.All, 0).ToAttributes()));
        Assert.True(next.Value > id); // later ids never collide with a mirrored one
    }

    [Fact]
    public void ClearAll_EmptiesEveryTable()
    {
        _applier.ApplyBulk(_table, _tableId, Key, State(1), []);

        Assert.Equal(1, _applier.ClearAll());
        Assert.Equal(0, _table.Count);
    }
}
