using DashFlow.Api;
using DashFlow.Model;
using DashFlow.Records;

namespace DashFlow.Core.Tests.Api;

/// <summary>create_flow_entries for packed records: one status per announced record, by the error mode.</summary>
public sealed class FlowApiPackedCreateTests
{
    private static FlowKey Key(ushort port) => new(DashFlowTestEntry.EniMac, 100, 17, IpAddress.Parse("10.1.2.51"), IpAddress.Parse("10.1.2.50"), port, 90);

    /// <summary>Three records, the middle one damaged inside (its length still frames it).</summary>
    private static FlowRecordBatch BatchWithBadMiddle()
    {
        var batch = new FlowRecordBatch();
        batch.Add(Key(1), new FlowState { IsUnidirectional = true, Version = 1 }, []);
        var bad = new FlowRecordBatch();
        bad.Add(Key(2), new FlowState { IsUnidirectional = true, Version = 2 }, []);
        byte[] damaged = bad.Packed.ToArray();
        damaged[^1] = 0xFF; // the last byte becomes an unterminated varint: the record no longer decodes
        batch.Append(FlowRecordBatch.FromPacked(damaged, 1));
        batch.Add(Key(3), new FlowState { IsUnidirectional = true, Version = 3 }, []);
        return batch;
    }

    [Fact]
    public void CreateFlowEntries_BadRecordIgnoreError_OthersCreated()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var statuses = new SaiStatus[3];

        var result = api.CreateFlowEntries(table, BatchWithBadMiddle(), 3, BulkErrorMode.IgnoreError, statuses);

        Assert.Equal(SaiStatus.Failure, result);
        Assert.Equal([SaiStatus.Success, SaiStatus.InvalidParameter, SaiStatus.Success], statuses);
        Assert.Equal(SaiStatus.Success, api.GetFlowEntry(new FlowEntryAddress(table, Key(3)), out var third, out _));
        Assert.Equal(3u, third.Version);
    }

    [Fact]
    public void CreateFlowEntries_BadRecordStopOnError_RestNotExecuted()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var statuses = new SaiStatus[4];

        var result = api.CreateFlowEntries(table, BatchWithBadMiddle(), 4, BulkErrorMode.StopOnError, statuses);

        Assert.Equal(SaiStatus.Failure, result);
        Assert.Equal([SaiStatus.Success, SaiStatus.InvalidParameter, SaiStatus.NotExecuted, SaiStatus.NotExecuted], statuses);
        Assert.Equal(SaiStatus.ItemNotFound, api.GetFlowEntry(new FlowEntryAddress(table, Key(3)), out _, out _));
    }

    [Fact]
    public void CreateFlowEntries_RefusedDeviceOrTable_EveryStatusSays()
    {
        using var noCreate = new FlowApi(new FlowApiOptions { Capabilities = new FlowCapabilities { FlowCreate = false, UnidirectionalFlowEntry = false } });
        var table = DashFlowTestEntry.CreateTable(noCreate);
        var statuses = new SaiStatus[3];
        Assert.Equal(SaiStatus.Failure, noCreate.CreateFlowEntries(table, BatchWithBadMiddle(), 3, BulkErrorMode.IgnoreError, statuses));
        Assert.All(statuses, s => Assert.Equal(SaiStatus.NotSupported, s));

        using var noUnidirectional = new FlowApi(new FlowApiOptions { Capabilities = new FlowCapabilities { UnidirectionalFlowEntry = false } });
        var other = DashFlowTestEntry.CreateTable(noUnidirectional);
        Assert.Equal(SaiStatus.Failure, noUnidirectional.CreateFlowEntries(other, BatchWithBadMiddle(), 3, BulkErrorMode.IgnoreError, statuses));
        Assert.Equal([SaiStatus.NotSupported, SaiStatus.InvalidParameter, SaiStatus.NotSupported], statuses);

        var unknown = new FlowTableId(ObjectIds.Make(FlowObjectType.FlowTable, 777));
        Assert.Equal(SaiStatus.Failure, noUnidirectional.CreateFlowEntries(unknown, BatchWithBadMiddle(), 3, BulkErrorMode.IgnoreError, statuses));
        Assert.All(statuses, s => Assert.Equal(SaiStatus.ItemNotFound, s));
        Assert.Equal(SaiStatus.InvalidParameter, noUnidirectional.CreateFlowEntries(other, BatchWithBadMiddle(), 3, BulkErrorMode.IgnoreError, new SaiStatus[2]));
    }
    [Theory]
    [InlineData(1, BulkErrorMode.IgnoreError)]
    [InlineData(2, BulkErrorMode.StopOnError)]
    [InlineData(3, BulkErrorMode.IgnoreError)]
    [InlineData(4, BulkErrorMode.StopOnError)]
    [InlineData(5, BulkErrorMode.StopOnError)]
    public void CreateFlowEntries_ManyRecords_SameAsOneCreateAfterAnother(int seed, BulkErrorMode mode)
    {
        // Hundreds of records (several engine groups), duplicates, damaged records and a table that fills up.
        var rng = new Random(seed);
        using var api = new FlowApi();
        using var twin = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api, 250);
        var twinTable = DashFlowTestEntry.CreateTable(twin, 250);
        Assert.True(twin.TryGetTable(twinTable, out var reference));
        int n = 300 + rng.Next(100);
        var batch = new FlowRecordBatch();
        var expected = new SaiStatus[n + 2]; // two more announced than sent
        bool failed = false;
        for (int i = 0; i < n; i++)
        {
            var key = Key((ushort)rng.Next(seed == 5 ? 1000 : 400));
            var state = new FlowState { IsUnidirectional = true, Version = (uint)i };
            SaiStatus status;
            if (rng.Next(40) == 0)
            {
                var bad = new FlowRecordBatch();
                bad.Add(key, state, []);
                byte[] damaged = bad.Packed.ToArray();
                damaged[^1] = 0xFF;
                batch.Append(FlowRecordBatch.FromPacked(damaged, 1));
                status = SaiStatus.InvalidParameter;
            }
            else
            {
                batch.Add(key, state, []);
                status = failed && mode == BulkErrorMode.StopOnError ? SaiStatus.NotExecuted : reference.Create(in key, in state);
            }

            expected[i] = failed && mode == BulkErrorMode.StopOnError ? SaiStatus.NotExecuted : status;
            failed |= status != SaiStatus.Success && status != SaiStatus.NotExecuted;
        }

        expected[n] = expected[n + 1] = failed && mode == BulkErrorMode.StopOnError ? SaiStatus.NotExecuted : SaiStatus.InvalidParameter;
        var statuses = new SaiStatus[n + 2];

        Assert.Equal(SaiStatus.Failure, api.CreateFlowEntries(table, batch, n + 2, mode, statuses));

        Assert.Equal(expected, statuses);
        Assert.True(api.TryGetTable(table, out var engine));
        Assert.Equal(reference.Count, engine.Count);
        Assert.Equal(reference.Counters, engine.Counters);
        for (ushort port = 0; port < 1000; port++)
        {
            var key = Key(port);
            Assert.Equal(reference.Get(in key, out var want, out _), engine.Get(in key, out var got, out _));
            Assert.Equal(want, got);
        }
    }
}
