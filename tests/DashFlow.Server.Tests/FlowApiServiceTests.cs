using DashFlow.Api;
using DashFlow.Model;
using DashFlow.Records;
using DashFlow.Server.Services;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Tests;

/// <summary>The northbound service on a real agent over loopback gRPC.</summary>
public sealed class FlowApiServiceTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    private static readonly FlowKey s_key = new(MacAddress.Parse("00:00:02:03:04:05"), 100, 17, IpAddress.Parse("10.1.2.51"), IpAddress.Parse("10.1.2.50"), 1234, 90);

    private async Task<ulong> CreateTableAsync(uint maxFlows = 1000)
    {
        var request = new Proto.ObjectCreateRequest();
        request.Attributes.Add(new Proto.SaiAttribute { Id = FlowTableAttr.MaxFlowCount, U32 = maxFlows });
        request.Attributes.Add(new Proto.SaiAttribute { Id = FlowTableAttr.DashFlowEnabledKey, S32 = 0x7F });
        return (await agent.Client.CreateFlowTableAsync(request)).Oid;
    }

    private static Proto.FlowEntryAddress Address(ulong table, FlowKey key) =>
        new() { FlowTableId = table, Key = FlowRecordCodec.ToKeyMessage(key) };

    [Fact]
    public async Task CreateFlowEntry_ThenGet_ReturnsEveryAttributeWritten()
    {
        ulong table = await CreateTableAsync();
        var request = new Proto.FlowEntryCreateRequest { Entry = Address(table, s_key) };
        request.Attributes.Add(new Proto.SaiAttribute { Id = FlowEntryAttr.Version, U32 = 4 });
        request.Attributes.Add(new Proto.SaiAttribute { Id = FlowEntryAttr.DashFlowAction, S32 = (int)(FlowAction.EncapU0 | FlowAction.SetDmac) });
        request.Attributes.Add(new Proto.SaiAttribute { Id = FlowEntryAttr.IsUnidirectionalFlow, BoolValue = true });
        request.Attributes.Add(new Proto.SaiAttribute { Id = FlowEntryAttr.Underlay0Dip, Ip = FlowRecordCodec.ToIpMessage(IpAddress.Parse("172.16.1.20")) });
        request.Attributes.Add(new Proto.SaiAttribute { Id = FlowEntryAttr.DstMac, Mac = FlowRecordCodec.ToMacMessage(MacAddress.Parse("00:bb:bb:bb:bb:bb")) });
        request.Attributes.Add(new Proto.SaiAttribute { Id = FlowEntryAttr.VendorMetadata, U8List = ByteString.CopyFrom(1, 2, 3) });

        await agent.Client.CreateFlowEntryAsync(request);
        var get = new Proto.FlowEntryGetRequest { Entry = Address(table, s_key) };
        get.Ids.AddRange(request.Attributes.Select(a => a.Id));
        var reply = await agent.Client.GetFlowEntryAttributeAsync(get);

        Assert.Equal(request.Attributes, reply.Attributes);
    }

    [Fact]
    public async Task UnknownTable_NotFoundWithSaiStatusTrailer()
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () => await agent.Client.RemoveFlowTableAsync(new Proto.ObjectId { Oid = ObjectIds.Make(FlowObjectType.FlowTable, 98765) }));

        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Equal(SaiStatus.ItemNotFound, SaiStatusMapping.FromException(e));
        Assert.Contains("SAI_STATUS_ITEM_NOT_FOUND", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadAttributeValue_InvalidArgumentNamingIndex()
    {
        ulong table = await CreateTableAsync();
        var request = new Proto.FlowEntryCreateRequest { Entry = Address(table, s_key) };
        request.Attributes.Add(new Proto.SaiAttribute { Id = FlowEntryAttr.Version, U32 = 1 });
        request.Attributes.Add(new Proto.SaiAttribute { Id = FlowEntryAttr.DashDirection, S32 = 9 });

        var e = await Assert.ThrowsAsync<RpcException>(async () => await agent.Client.CreateFlowEntryAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal(SaiStatuses.InvalidAttrValue(1), SaiStatusMapping.FromException(e));
    }

    [Fact]
    public async Task MalformedKeyOrMac_InvalidArgument()
    {
        ulong table = await CreateTableAsync();
        var badKey = Address(table, s_key);
        badKey.Key.EniMac = ByteString.CopyFrom(1, 2, 3);
        var badMac = new Proto.FlowEntryCreateRequest { Entry = Address(table, s_key) };
        badMac.Attributes.Add(new Proto.SaiAttribute { Id = FlowEntryAttr.DstMac, Mac = new Proto.MacAddress { Address = ByteString.CopyFrom(1) } });

        var keyError = await Assert.ThrowsAsync<RpcException>(async () => await agent.Client.CreateFlowEntryAsync(new Proto.FlowEntryCreateRequest { Entry = badKey }));
        var macError = await Assert.ThrowsAsync<RpcException>(async () => await agent.Client.CreateFlowEntryAsync(badMac));

        Assert.Equal(SaiStatus.InvalidParameter, SaiStatusMapping.FromException(keyError));
        Assert.Equal(SaiStatuses.InvalidAttrValue(0), SaiStatusMapping.FromException(macError));
    }

    [Fact]
    public async Task CreateFlowEntries_StopOnError_StatusPerEntryAndRestNotExecuted()
    {
        ulong table = await CreateTableAsync();
        var request = new Proto.FlowEntriesCreateRequest { ErrorMode = 0 };
        for (ushort port = 1; port <= 4; port++)
        {
            var key = s_key;
            key.SrcPort = port;
            var entry = new Proto.FlowEntryCreateRequest { Entry = Address(table, key) };
            entry.Attributes.Add(new Proto.SaiAttribute { Id = FlowEntryAttr.IsUnidirectionalFlow, BoolValue = true });
            if (port == 2)
            {
                entry.Attributes.Add(new Proto.SaiAttribute { Id = 500, U32 = 1 });
            }

            request.Entries.Add(entry);
        }

        var reply = await agent.Client.CreateFlowEntriesAsync(request);

        Assert.Equal((int)SaiStatus.Failure, reply.Status);
        Assert.Equal([0, (int)SaiStatuses.UnknownAttribute(1), (int)SaiStatus.NotExecuted, (int)SaiStatus.NotExecuted], reply.Statuses);
    }

    [Fact]
    public async Task OversizeBulk_InvalidArgumentNamingTheLimit()
    {
        var request = new Proto.FlowEntriesRemoveRequest();
        for (int i = 0; i < 1001; i++)
        {
            request.Entries.Add(Address(1, s_key));
        }

        var e = await Assert.ThrowsAsync<RpcException>(async () => await agent.Client.RemoveFlowEntriesAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("bulk limit of 1000", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OversizeMessage_ResourceExhaustedNotACrash()
    {
        ulong table = await CreateTableAsync();
        var request = new Proto.FlowEntryCreateRequest { Entry = Address(table, s_key) };
        request.Attributes.Add(new Proto.SaiAttribute { Id = FlowEntryAttr.VendorMetadata, U8List = ByteString.CopyFrom(new byte[2 * 1024 * 1024]) });

        var e = await Assert.ThrowsAsync<RpcException>(async () => await agent.Client.CreateFlowEntryAsync(request));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        var caps = await agent.Client.GetCapabilitiesAsync(new Proto.Empty()); // the agent is still serving
        Assert.Equal(10, caps.Capabilities.Count);
    }

    [Fact]
    public async Task HealthAndReflection_Serving()
    {
        var health = new Health.HealthClient(agent.Channel);

        var reply = await health.CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task Metrics_CountOperationsAndFlows()
    {
        ulong table = await CreateTableAsync();
        using var http = new HttpClient();

        string text = await http.GetStringAsync(new Uri($"http://{agent.Agent.MetricsEndpoint}/metrics"));

        Assert.Contains("dashflow_operations_total{operation=\"create_flow_table\",status=\"SAI_STATUS_SUCCESS\"}", text, StringComparison.Ordinal);
        Assert.Contains($"dashflow_flows{{table=\"0x{table:x}\"}} 0", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateFlowRecords_Packed_EachRecordItsStatusAndShortBatchRefused()
    {
        ulong table = await CreateTableAsync();
        var batch = new FlowRecordBatch();
        for (ushort port = 1; port <= 3; port++)
        {
            var key = s_key;
            key.SrcPort = port;
            batch.Add(in key, new FlowState { IsUnidirectional = true, Version = port }, []);
        }

        var request = new Proto.FlowRecordsCreateRequest
        {
            FlowTableId = table,
            ErrorMode = 1,
            PackedRecords = ByteString.CopyFrom(batch.Packed.Span),
            PackedCount = 4, // one more than packed
        };

        var reply = await agent.Client.CreateFlowRecordsAsync(request);

        Assert.Equal((int)SaiStatus.Failure, reply.Status);
        Assert.Equal([0, 0, 0, (int)SaiStatus.InvalidParameter], reply.Statuses);
        Assert.True(agent.Agent.Api.TryGetTable(new FlowTableId(table), out var engine));
        Assert.Equal(3, engine.Count);
    }

    [Fact]
    public async Task Metrics_SessionsByFinalState()
    {
        ulong table = await CreateTableAsync();
        var session = new Proto.ObjectCreateRequest();
        session.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.Mode, S32 = (int)BulkGetSessionMode.EventWithoutFlowState });
        session.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.FlowTable, Oid = table });
        await agent.Client.CreateFlowEntryBulkGetSessionAsync(session);
        using var http = new HttpClient();

        string text = string.Empty;
        for (int i = 0; i < 100 && !text.Contains("dashflow_bulk_get_sessions_finished_total{state=\"completed\"}", StringComparison.Ordinal); i++)
        {
            await Task.Delay(50);
            text = await http.GetStringAsync(new Uri($"http://{agent.Agent.MetricsEndpoint}/metrics"));
        }

        Assert.Contains("dashflow_bulk_get_sessions_finished_total{state=\"completed\"}", text, StringComparison.Ordinal);
        Assert.Contains("dashflow_bulk_get_sessions_running", text, StringComparison.Ordinal);
    }
}
