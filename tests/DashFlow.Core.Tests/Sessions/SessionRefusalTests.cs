using DashFlow.Api;
using DashFlow.Model;
using DashFlow.Sessions;

namespace DashFlow.Core.Tests.Sessions;

/// <summary>Every refusal of filters and sessions, with the status and attribute index the API documents.</summary>
public sealed class SessionRefusalTests
{
    private static SaiAttribute Key(BulkGetFilterKey key) => SaiAttribute.S32(BulkGetSessionFilterAttr.Key, (int)key);

    private static SaiAttribute Op(BulkGetFilterOp op) => SaiAttribute.S32(BulkGetSessionFilterAttr.Op, (int)op);

    private static SaiAttribute Int(ulong value) => SaiAttribute.U64(BulkGetSessionFilterAttr.IntValue, value);

    private static SaiAttribute Ip(string value) => SaiAttribute.Ip(BulkGetSessionFilterAttr.IpValue, IpAddress.Parse(value));

    private static SaiAttribute Mac(ulong value) => SaiAttribute.Mac(BulkGetSessionFilterAttr.MacValue, new MacAddress(value));

    public static TheoryData<string, SaiAttribute[], SaiStatus> BadFilters => new()
    {
        { "no key", [Op(BulkGetFilterOp.EqualTo), Int(1)], SaiStatus.MandatoryAttributeMissing },
        { "no op", [Key(BulkGetFilterKey.KeyVersion), Int(1)], SaiStatus.MandatoryAttributeMissing },
        { "key INVALID", [Key(BulkGetFilterKey.Invalid), Op(BulkGetFilterOp.EqualTo)], SaiStatuses.InvalidAttrValue(0) },
        { "key 11", [Op(BulkGetFilterOp.EqualTo), SaiAttribute.S32(BulkGetSessionFilterAttr.Key, 11)], SaiStatuses.InvalidAttrValue(1) },
        { "op INVALID", [Key(BulkGetFilterKey.KeyVersion), Op(BulkGetFilterOp.Invalid)], SaiStatuses.InvalidAttrValue(1) },
        { "op 6", [Key(BulkGetFilterKey.KeyVersion), SaiAttribute.S32(BulkGetSessionFilterAttr.Op, 6)], SaiStatuses.InvalidAttrValue(1) },
        { "GREATER_THAN on a MAC", [Key(BulkGetFilterKey.EniMac), Mac(1), Op(BulkGetFilterOp.GreaterThan)], SaiStatuses.InvalidAttrValue(2) },
        { "LESS_THAN on FLOW_TABLE_ID", [Key(BulkGetFilterKey.FlowTableId), Op(BulkGetFilterOp.LessThan), Int(1)], SaiStatuses.InvalidAttrValue(1) },
        { "GREATER_THAN_OR_EQUAL_TO on AGED", [Key(BulkGetFilterKey.Aged), Op(BulkGetFilterOp.GreaterThanOrEqualTo), Int(1)], SaiStatuses.InvalidAttrValue(1) },
        { "IP value on a port key", [Key(BulkGetFilterKey.DstL4Port), Op(BulkGetFilterOp.EqualTo), Ip("10.0.0.1")], SaiStatuses.InvalidAttrValue(2) },
        { "INT value on an IP key", [Key(BulkGetFilterKey.SrcIpAddr), Op(BulkGetFilterOp.EqualTo), Int(5)], SaiStatuses.InvalidAttrValue(2) },
        { "MAC value on the version key", [Key(BulkGetFilterKey.KeyVersion), Mac(5), Op(BulkGetFilterOp.LessThan)], SaiStatuses.InvalidAttrValue(1) },
        { "AGED value 2", [Key(BulkGetFilterKey.Aged), Op(BulkGetFilterOp.EqualTo), Int(2)], SaiStatuses.InvalidAttrValue(2) },
        { "INT value as U32", [Key(BulkGetFilterKey.KeyVersion), Op(BulkGetFilterOp.EqualTo), SaiAttribute.U32(BulkGetSessionFilterAttr.IntValue, 1)], SaiStatuses.InvalidAttrValue(2) },
        { "key as U32", [SaiAttribute.U32(BulkGetSessionFilterAttr.Key, 8), Op(BulkGetFilterOp.EqualTo)], SaiStatuses.InvalidAttrValue(0) },
        { "unknown attribute 5", [Key(BulkGetFilterKey.KeyVersion), Op(BulkGetFilterOp.EqualTo), SaiAttribute.U64(5, 1)], SaiStatuses.UnknownAttribute(2) },
        { "duplicate op", [Key(BulkGetFilterKey.KeyVersion), Op(BulkGetFilterOp.EqualTo), Op(BulkGetFilterOp.LessThan)], SaiStatuses.InvalidAttribute(2) },
    };

    [Theory]
    [MemberData(nameof(BadFilters))]
    public void CreateFilter_Invalid_RefusedWithStatusAndIndex(string why, SaiAttribute[] attributes, SaiStatus expected)
    {
        using var api = new FlowApi();
        Assert.True(expected == api.CreateFlowEntryBulkGetSessionFilter(out var id, attributes), why);
        Assert.Equal(BulkGetSessionFilterId.Null, id);
    }

    [Fact]
    public void CreateFilter_EveryKeyWithEveryAllowedOp_Succeeds()
    {
        using var api = new FlowApi();
        foreach (var key in Enum.GetValues<BulkGetFilterKey>().Where(BulkGetFilter.IsValidKey))
        {
            foreach (var op in Enum.GetValues<BulkGetFilterOp>())
            {
                bool allowed = op != BulkGetFilterOp.Invalid
                    && (op == BulkGetFilterOp.EqualTo || key is not (BulkGetFilterKey.EniMac or BulkGetFilterKey.FlowTableId or BulkGetFilterKey.Aged));
                var status = api.CreateFlowEntryBulkGetSessionFilter(out var id, new BulkGetFilter(key, op));
                Assert.True(allowed == (status == SaiStatus.Success), $"{key} {op}: {status.Describe()}");
                if (allowed)
                {
                    Assert.Equal(SaiStatus.Success, api.GetFlowEntryBulkGetSessionFilter(id, out var stored));
                    Assert.Equal(new BulkGetFilter(key, op), stored);
                }
            }
        }
    }

    [Fact]
    public void FilterSetGet_ValueAndKeyRules()
    {
        using var api = new FlowApi();
        Assert.Equal(SaiStatus.Success, api.CreateFlowEntryBulkGetSessionFilter(out var id, [Key(BulkGetFilterKey.SrcL4Port), Op(BulkGetFilterOp.GreaterThan), Int(1024)]));
        Assert.Equal(SaiStatuses.InvalidAttrValue(0), api.SetFlowEntryBulkGetSessionFilterAttribute(id, Ip("10.0.0.1")));
        Assert.Equal(SaiStatuses.InvalidAttrValue(0), api.SetFlowEntryBulkGetSessionFilterAttribute(id, Key(BulkGetFilterKey.EniMac))); // GREATER_THAN on a MAC
        Assert.Equal(SaiStatus.Success, api.SetFlowEntryBulkGetSessionFilterAttribute(id, Op(BulkGetFilterOp.EqualTo)));
        Assert.Equal(SaiStatus.Success, api.SetFlowEntryBulkGetSessionFilterAttribute(id, Key(BulkGetFilterKey.EniMac)));
        Assert.Equal(SaiStatus.Success, api.SetFlowEntryBulkGetSessionFilterAttribute(id, Mac(0xAB)));
        Assert.Equal(SaiStatuses.UnknownAttribute(0), api.SetFlowEntryBulkGetSessionFilterAttribute(id, SaiAttribute.U64(7, 0)));
        SaiAttribute[] query = [SaiAttribute.Query(BulkGetSessionFilterAttr.Key), SaiAttribute.Query(BulkGetSessionFilterAttr.Op), SaiAttribute.Query(BulkGetSessionFilterAttr.MacValue)];
        Assert.Equal(SaiStatus.Success, api.GetFlowEntryBulkGetSessionFilterAttribute(id, query));
        Assert.Equal((int)BulkGetFilterKey.EniMac, query[0].Value.AsS32);
        Assert.Equal((int)BulkGetFilterOp.EqualTo, query[1].Value.AsS32);
        Assert.Equal(new MacAddress(0xAB), query[2].Value.AsMac);
        Assert.Equal(SaiStatuses.UnknownAttribute(1), api.GetFlowEntryBulkGetSessionFilterAttribute(id, [SaiAttribute.Query(0), SaiAttribute.Query(9)]));
        Assert.Equal(SaiStatus.Success, api.RemoveFlowEntryBulkGetSessionFilter(id));
        Assert.Equal(SaiStatus.ItemNotFound, api.RemoveFlowEntryBulkGetSessionFilter(id));
        Assert.Equal(SaiStatus.InvalidParameter, api.RemoveFlowEntryBulkGetSessionFilter(BulkGetSessionFilterId.Null));
        Assert.Equal(SaiStatus.InvalidObjectType, api.RemoveFlowEntryBulkGetSessionFilter(new BulkGetSessionFilterId(ObjectIds.Make(FlowObjectType.FlowTable, 1))));
    }

    [Fact]
    public void Session_CapabilityOff_NotSupportedForFiltersAndSessions()
    {
        using var harness = new SessionHarness(capabilities: FlowCapabilities.Full with { BulkGetSession = false });
        Assert.Equal(SaiStatus.NotSupported, harness.Api.CreateFlowEntryBulkGetSessionFilter(out _, new BulkGetFilter(BulkGetFilterKey.KeyVersion, BulkGetFilterOp.EqualTo)));
        Assert.Equal(SaiStatus.NotSupported, harness.Api.CreateFlowEntryBulkGetSession(out _, SessionHarness.SessionAttributes(BulkGetSessionMode.Event, 0, [])));
    }

    [Fact]
    public void CreateSession_Refusals()
    {
        using var harness = new SessionHarness();
        var api = harness.Api;
        var table = harness.CreateTable();
        var filter = harness.Filter(BulkGetFilterKey.KeyVersion, BulkGetFilterOp.LessThan, 5);
        var eventMode = SaiAttribute.S32(BulkGetSessionAttr.Mode, (int)BulkGetSessionMode.Event);
        var ip = SaiAttribute.Ip(BulkGetSessionAttr.ServerIp, IpAddress.Parse("192.0.2.1"));
        var port = SaiAttribute.U32(BulkGetSessionAttr.ServerPort, 9000);

        Assert.Equal(SaiStatus.NotSupported, api.CreateFlowEntryBulkGetSession(out _, [SaiAttribute.S32(BulkGetSessionAttr.Mode, (int)BulkGetSessionMode.Vendor), ip, port]));
        Assert.Equal(SaiStatus.MandatoryAttributeMissing, api.CreateFlowEntryBulkGetSession(out _, [])); // GRPC is the default mode
        Assert.Equal(SaiStatus.MandatoryAttributeMissing, api.CreateFlowEntryBulkGetSession(out _, [ip]));
        Assert.Equal(SaiStatus.MandatoryAttributeMissing, api.CreateFlowEntryBulkGetSession(out _, [SaiAttribute.S32(BulkGetSessionAttr.Mode, 0), port]));
        Assert.Equal(SaiStatuses.InvalidAttrValue(1), api.CreateFlowEntryBulkGetSession(out _, [ip, SaiAttribute.U32(BulkGetSessionAttr.ServerPort, 65536)]));
        Assert.Equal(SaiStatuses.InvalidAttrValue(0), api.CreateFlowEntryBulkGetSession(out _, [SaiAttribute.S32(BulkGetSessionAttr.Mode, 4)]));
        Assert.Equal(SaiStatuses.InvalidAttrValue(1), api.CreateFlowEntryBulkGetSession(out _, [eventMode, SaiAttribute.S32(BulkGetSessionAttr.EntryLimitation, 3)]));

        // A filter id that does not exist (or is not a filter): INVALID_ATTR_VALUE naming the attribute.
        var missing = new BulkGetSessionFilterId(ObjectIds.Make(FlowObjectType.BulkGetSessionFilter, 999_999));
        Assert.Equal(SaiStatuses.InvalidAttrValue(2), api.CreateFlowEntryBulkGetSession(out _, [eventMode, SaiAttribute.Oid(BulkGetSessionAttr.FirstFilterId, filter.Value), SaiAttribute.Oid(BulkGetSessionAttr.SecondFilterId, missing.Value)]));
        Assert.Equal(SaiStatuses.InvalidAttrValue(1), api.CreateFlowEntryBulkGetSession(out _, [eventMode, SaiAttribute.Oid(BulkGetSessionAttr.FifthFilterId, table.Value)]));
        Assert.Equal(SaiStatuses.InvalidAttrValue(1), api.CreateFlowEntryBulkGetSession(out _, [eventMode, SaiAttribute.U64(BulkGetSessionAttr.FirstFilterId, filter.Value)]));

        // A sixth filter: ordinal 9 is FLOW_TABLE (a filter id there is no table), and there is no ordinal 10.
        Assert.Equal(SaiStatuses.InvalidAttrValue(1), api.CreateFlowEntryBulkGetSession(out _, [eventMode, SaiAttribute.Oid(BulkGetSessionAttr.FlowTable, filter.Value)]));
        Assert.Equal(SaiStatuses.UnknownAttribute(1), api.CreateFlowEntryBulkGetSession(out _, [eventMode, SaiAttribute.Oid(10, filter.Value)]));
        Assert.Equal(SaiStatuses.InvalidAttrValue(1), api.CreateFlowEntryBulkGetSession(out _, [eventMode, SaiAttribute.Oid(BulkGetSessionAttr.FlowTable, ObjectIds.Make(FlowObjectType.FlowTable, 12345))]));

        // Read-only status attributes and duplicates.
        Assert.Equal(SaiStatuses.InvalidAttribute(1), api.CreateFlowEntryBulkGetSession(out _, [eventMode, SaiAttribute.S32(BulkGetSessionAttr.State, 0)]));
        Assert.Equal(SaiStatuses.InvalidAttribute(1), api.CreateFlowEntryBulkGetSession(out _, [eventMode, eventMode]));

        // GRPC mode needs a sink factory.
        using var noSink = new FlowApi();
        Assert.Equal(SaiStatus.NotSupported, noSink.CreateFlowEntryBulkGetSession(out _, [ip, port]));
        Assert.Equal(SaiStatus.ItemNotFound, api.RemoveFlowEntryBulkGetSession(new BulkGetSessionId(ObjectIds.Make(FlowObjectType.BulkGetSession, 424242))));
        Assert.Equal(SaiStatus.InvalidObjectType, api.RemoveFlowEntryBulkGetSession(new BulkGetSessionId(table.Value)));
    }

    [Fact]
    public async Task CreateSession_TooManyRunning_InsufficientResources()
    {
        using var release = new ManualResetEventSlim();
        using var harness = new SessionHarness(new FlowApiOptions { MaxBulkGetSessions = 2, BulkGetEventQueueCapacity = 1 });
        var table = harness.CreateTable();
        harness.Api.TryGetTable(table, out var engine);
        for (int i = 0; i < 2000; i++)
        {
            engine.Create(new FlowKey(new MacAddress(1), 1, 6, IpAddress.FromV4((uint)i), IpAddress.FromV4(1), 1, 1), new FlowState { IsUnidirectional = true });
        }

        harness.AfterBatch = (_, _) => release.Wait();
        var first = harness.Start(BulkGetSessionMode.EventWithoutFlowState, 0, []);
        var second = harness.Start(BulkGetSessionMode.EventWithoutFlowState, 0, []);
        Assert.Equal(SaiStatus.InsufficientResources, harness.Api.CreateFlowEntryBulkGetSession(out _, SessionHarness.SessionAttributes(BulkGetSessionMode.Event, 0, [])));
        release.Set();
        await harness.FinishedAsync(first);
        await harness.FinishedAsync(second);
        harness.AssertEachFinishedOnce();
    }

    [Fact]
    public async Task Bulk_FiltersAndSessions_StatusesPerObject()
    {
        using var harness = new SessionHarness();
        var api = harness.Api;
        SaiAttribute[][] lists =
        [
            [Key(BulkGetFilterKey.KeyVersion), Op(BulkGetFilterOp.LessThan), Int(5)],
            [Key(BulkGetFilterKey.EniMac), Op(BulkGetFilterOp.LessThan)],
            [Key(BulkGetFilterKey.DstL4Port), Op(BulkGetFilterOp.EqualTo), Int(443)],
        ];
        var ids = new BulkGetSessionFilterId[3];
        var statuses = new SaiStatus[3];
        Assert.Equal(SaiStatus.Failure, api.CreateFlowEntryBulkGetSessionFilters(lists, BulkErrorMode.StopOnError, ids, statuses));
        Assert.Equal([SaiStatus.Success, SaiStatuses.InvalidAttrValue(1), SaiStatus.NotExecuted], statuses);
        Assert.Equal(SaiStatus.Failure, api.CreateFlowEntryBulkGetSessionFilters(lists, BulkErrorMode.IgnoreError, ids, statuses));
        Assert.Equal([SaiStatus.Success, SaiStatuses.InvalidAttrValue(1), SaiStatus.Success], statuses);
        Assert.Equal(SaiStatus.Success, api.RemoveFlowEntryBulkGetSessionFilters([ids[0], ids[2]], BulkErrorMode.StopOnError, statuses));

        SaiAttribute[][] sessions =
        [
            SessionHarness.SessionAttributes(BulkGetSessionMode.Event, 0, []),
            [SaiAttribute.S32(BulkGetSessionAttr.Mode, (int)BulkGetSessionMode.Vendor)],
            SessionHarness.SessionAttributes(BulkGetSessionMode.EventWithoutFlowState, 0, []),
        ];
        var sessionIds = new BulkGetSessionId[3];
        Assert.Equal(SaiStatus.Failure, api.CreateFlowEntryBulkGetSessions(sessions, BulkErrorMode.IgnoreError, sessionIds, statuses));
        Assert.Equal([SaiStatus.Success, SaiStatus.NotSupported, SaiStatus.Success], statuses);
        await harness.FinishedAsync(sessionIds[0]);
        await harness.FinishedAsync(sessionIds[2]);
        Assert.Equal(SaiStatus.Success, api.RemoveFlowEntryBulkGetSessions([sessionIds[0], sessionIds[2]], BulkErrorMode.StopOnError, statuses));
        harness.AssertEachFinishedOnce();
    }
}
