using DashFlow.Api;
using DashFlow.Model;

namespace DashFlow.Core.Tests.Api;

/// <summary>Bulk calls: one status per object, and the table exactly as the error mode promises.</summary>
public sealed class FlowApiBulkTests
{
    private static FlowEntryAddress[] Addresses(FlowTableId table, params ushort[] ports) =>
        [.. ports.Select(p =>
        {
            var key = DashFlowTestEntry.Key;
            key.SrcPort = p;
            return new FlowEntryAddress(table, key);
        })];

    private static SaiAttribute[] Good => [SaiAttribute.U32(FlowEntryAttr.Version, 1), SaiAttribute.Bool(FlowEntryAttr.IsUnidirectionalFlow, true)];

    private static SaiAttribute[] Bad => [SaiAttribute.S32(FlowEntryAttr.DashDirection, 7)];

    [Fact]
    public void CreateFlowEntries_StopOnError_StopsAndMarksTheRestNotExecuted()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var entries = Addresses(table, 1, 2, 3, 4);
        var statuses = new SaiStatus[4];

        var result = api.CreateFlowEntries(entries, [Good, Bad, Good, Good], BulkErrorMode.StopOnError, statuses);

        Assert.Equal(SaiStatus.Failure, result);
        Assert.Equal([SaiStatus.Success, SaiStatuses.InvalidAttrValue(0), SaiStatus.NotExecuted, SaiStatus.NotExecuted], statuses);
        Assert.Equal(SaiStatus.Success, api.GetFlowEntry(entries[0], out _, out _));
        Assert.All(entries[1..], e => Assert.Equal(SaiStatus.ItemNotFound, api.GetFlowEntry(e, out _, out _)));
    }

    [Fact]
    public void CreateFlowEntries_IgnoreError_AttemptsEveryObject()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var entries = Addresses(table, 1, 2, 3, 1);
        var statuses = new SaiStatus[4];

        var result = api.CreateFlowEntries(entries, [Good, Bad, Good, Good], BulkErrorMode.IgnoreError, statuses);

        Assert.Equal(SaiStatus.Failure, result);
        Assert.Equal([SaiStatus.Success, SaiStatuses.InvalidAttrValue(0), SaiStatus.Success, SaiStatus.ItemAlreadyExists], statuses);
        Assert.True(api.TryGetTable(table, out var engine));
        Assert.Equal(2, engine.Count);
    }

    [Fact]
    public void CreateFlowEntries_AllGood_SuccessEverywhere()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var entries = Addresses(table, 1, 2, 3);
        var statuses = new SaiStatus[3];

        Assert.Equal(SaiStatus.Success, api.CreateFlowEntries(entries, [Good, Good, Good], BulkErrorMode.StopOnError, statuses));
        Assert.All(statuses, s => Assert.Equal(SaiStatus.Success, s));
    }

    [Fact]
    public void RemoveFlowEntries_StopOnErrorAtMissing_KeepsTheRest()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var present = Addresses(table, 1, 3);
        Assert.Equal(SaiStatus.Success, api.CreateFlowEntries(present, [Good, Good], BulkErrorMode.StopOnError, new SaiStatus[2]));
        var statuses = new SaiStatus[3];

        var result = api.RemoveFlowEntries(Addresses(table, 1, 2, 3), BulkErrorMode.StopOnError, statuses);

        Assert.Equal(SaiStatus.Failure, result);
        Assert.Equal([SaiStatus.Success, SaiStatus.ItemNotFound, SaiStatus.NotExecuted], statuses);
        Assert.Equal(SaiStatus.Success, api.GetFlowEntry(present[1], out _, out _));
    }

    [Fact]
    public void CreateFlowEntries_TypedPairInOneCall_EachKeepsItsOwnActions()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var forwardKey = DashFlowTestEntry.Key;
        var reverseKey = new FlowKey(DashFlowTestEntry.EniMac, 100, 17, IpAddress.Parse("10.1.2.50"), IpAddress.Parse("203.0.113.7"), 90, 40000);
        FlowState forward = new() { Direction = FlowDirection.Outbound, Actions = FlowAction.Snat | FlowAction.SnatPort, ReverseKey = reverseKey, Version = 3 };
        FlowState reverse = new() { Direction = FlowDirection.Inbound, Actions = FlowAction.Dnat | FlowAction.DnatPort, ReverseKey = forwardKey, Version = 3 };
        var statuses = new SaiStatus[2];

        var result = api.CreateFlowEntries([new FlowEntryAddress(table, forwardKey), new FlowEntryAddress(table, reverseKey)], [forward, reverse], BulkErrorMode.StopOnError, statuses);

        Assert.Equal(SaiStatus.Success, result);
        Assert.Equal(SaiStatus.Success, api.GetFlowEntry(new FlowEntryAddress(table, reverseKey), out var storedReverse, out _));
        Assert.Equal(FlowAction.Dnat | FlowAction.DnatPort, storedReverse.Actions);
        Assert.True(api.TryGetTable(table, out var engine));
        Assert.Equal(2, engine.Count);
        Assert.Equal(SaiStatus.Success, api.RemoveFlowEntry(new FlowEntryAddress(table, forwardKey)));
        Assert.Equal(0, engine.Count);
    }

    [Fact]
    public void BulkCalls_ShortStatusSpanOrMismatchedLists_InvalidParameter()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var entries = Addresses(table, 1, 2);

        Assert.Equal(SaiStatus.InvalidParameter, api.CreateFlowEntries(entries, [Good, Good], BulkErrorMode.StopOnError, new SaiStatus[1]));
        Assert.Equal(SaiStatus.InvalidParameter, api.CreateFlowEntries(entries, [Good], BulkErrorMode.StopOnError, new SaiStatus[2]));
        Assert.Equal(SaiStatus.InvalidParameter, api.RemoveFlowEntries(entries, (BulkErrorMode)7, new SaiStatus[2]));
    }

    [Fact]
    public void CreateAndRemoveFlowTables_StopOnError_StatusPerTable()
    {
        using var api = new FlowApi();
        var ids = new FlowTableId[3];
        var statuses = new SaiStatus[3];
        SaiAttribute[][] lists = [[SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 10)], [], [SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 10)]];

        Assert.Equal(SaiStatus.Failure, api.CreateFlowTables(lists, BulkErrorMode.StopOnError, ids, statuses));
        Assert.Equal([SaiStatus.Success, SaiStatus.MandatoryAttributeMissing, SaiStatus.NotExecuted], statuses);
        Assert.Single(api.FlowTableIds);

        Assert.Equal(SaiStatus.Failure, api.RemoveFlowTables([ids[0], ids[0]], BulkErrorMode.IgnoreError, statuses));
        Assert.Equal(SaiStatus.Success, statuses[0]);
        Assert.Equal(SaiStatus.ItemNotFound, statuses[1]);
        Assert.Empty(api.FlowTableIds);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void CreateFlowEntries_TypedIgnoreError_SameAsOneCreateAfterAnother(int seed)
    {
        // Hundreds of entries over two tables (several engine groups each), duplicates, invalid states, an unknown
        // table, keys of mixed families and a table that fills up: the grouped create against single creates on a twin.
        var rng = new Random(seed);
        using var api = new FlowApi();
        using var twin = new FlowApi();
        FlowTableId[] tables = [DashFlowTestEntry.CreateTable(api, 250), DashFlowTestEntry.CreateTable(api, 1000)];
        FlowTableId[] twinTables = [DashFlowTestEntry.CreateTable(twin, 250), DashFlowTestEntry.CreateTable(twin, 1000)];
        Assert.Equal(tables, twinTables); // both APIs number their tables alike
        int n = 600 + rng.Next(200);
        var entries = new FlowEntryAddress[n];
        var states = new FlowState[n];
        for (int i = 0; i < n; i++)
        {
            var key = DashFlowTestEntry.Key;
            key.SrcPort = (ushort)rng.Next(600);
            if (rng.Next(50) == 0)
            {
                key = new FlowKey(DashFlowTestEntry.EniMac, 100, 17, IpAddress.Parse("10.1.2.51"), IpAddress.Parse("2001:db8::1"), key.SrcPort, 90); // mixed families
            }

            var table = rng.Next(60) == 0 ? new FlowTableId(0xDEAD) : tables[rng.Next(5) == 0 ? 1 : 0];
            entries[i] = new FlowEntryAddress(table, key);
            states[i] = new FlowState { IsUnidirectional = true, Version = (uint)i, Direction = rng.Next(40) == 0 ? (FlowDirection)7 : FlowDirection.Outbound };
        }

        var expected = new SaiStatus[n];
        for (int i = 0; i < n; i++)
        {
            expected[i] = twin.CreateFlowEntry(in entries[i], in states[i]);
        }

        var statuses = new SaiStatus[n];
        var result = api.CreateFlowEntries(entries, states, BulkErrorMode.IgnoreError, statuses);

        Assert.Equal(expected, statuses);
        Assert.Equal(expected.All(s => s == SaiStatus.Success) ? SaiStatus.Success : SaiStatus.Failure, result);
        Assert.Contains(SaiStatus.TableFull, statuses); // the small table filled up
        foreach (var id in tables)
        {
            Assert.True(api.TryGetTable(id, out var engine));
            Assert.True(twin.TryGetTable(id, out var reference));
            Assert.Equal(reference.Count, engine.Count);
            Assert.Equal(reference.Counters, engine.Counters);
            for (ushort port = 0; port < 600; port++)
            {
                var key = DashFlowTestEntry.Key;
                key.SrcPort = port;
                Assert.Equal(reference.Get(in key, out var want, out _), engine.Get(in key, out var got, out _));
                Assert.Equal(want, got);
            }
        }
    }
}
