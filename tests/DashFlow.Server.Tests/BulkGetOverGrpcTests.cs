using DashFlow.Api;
using DashFlow.Model;
using DashFlow.Records;
using DashFlow.Server.Hosting;
using DashFlow.Sessions;
using Grpc.Core;
using Grpc.Net.Client;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Tests;

/// <summary>Bulk get sessions through the agent: GRPC mode from one agent into another's receiver, and EVENT mode to a
/// subscriber.</summary>
public sealed class BulkGetOverGrpcTests : IAsyncLifetime
{
    private Agent _source = null!;
    private Agent _target = null!;
    private GrpcChannel _channel = null!;
    private Proto.FlowApi.FlowApiClient _client = null!;

    public async Task InitializeAsync()
    {
        _source = await Agent.StartAsync(new AgentOptions { Listen = "127.0.0.1:0", LogLevel = "Warning" });
        _target = await Agent.StartAsync(new AgentOptions { Listen = "127.0.0.1:0", LogLevel = "Warning" });
        _channel = GrpcChannel.ForAddress(_source.GrpcAddress);
        _client = new Proto.FlowApi.FlowApiClient(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _source.DisposeAsync();
        await _target.DisposeAsync();
    }

    private static FlowTableId CreateTable(FlowApi api)
    {
        Assert.Equal(SaiStatus.Success, api.CreateFlowTable(out var table, [SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 10_000), SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, 0x7F)]));
        return table;
    }

    private static FlowKey Key(int i) => new(new MacAddress(0x02_00_00_00_00_01), 100, 6, IpAddress.FromV4(0x0A000000u + (uint)i), IpAddress.FromV4(0x0A640001), (ushort)(10_000 + i), 443);

    private static void Load(FlowApi api, FlowTableId table, int count)
    {
        for (int i = 0; i < count; i++)
        {
            var state = new FlowState { Version = (uint)(i % 7), IsUnidirectional = true, Direction = FlowDirection.Outbound, Actions = FlowAction.SetDmac };
            state.Rewrite.Overlay.DstMac = new MacAddress((ulong)i);
            Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(new FlowEntryAddress(table, Key(i)), in state));
        }
    }

    private async Task<Proto.BulkGetSessionEvent> CreateAndWaitAsync(Proto.ObjectCreateRequest session, List<Proto.BulkGetSessionEvent>? entries = null)
    {
        using var subscription = _client.SubscribeBulkGetEvents(new Proto.BulkGetEventSubscription());
        await subscription.ResponseHeadersAsync; // the subscription is live
        ulong id = (await _client.CreateFlowEntryBulkGetSessionAsync(session)).Oid;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var e in subscription.ResponseStream.ReadAllAsync(timeout.Token))
        {
            if (e.SessionId != id)
            {
                continue;
            }

            if (e.EventType == (uint)BulkGetSessionEvent.Finished)
            {
                return e;
            }

            entries?.Add(e);
        }

        throw new InvalidOperationException("the event stream ended before FINISHED");
    }

    [Fact]
    public async Task GrpcModeSession_IntoAnotherAgentsReceiver_CopiesEveryEntry()
    {
        var sourceTable = CreateTable(_source.Api);
        var targetTable = CreateTable(_target.Api);
        Load(_source.Api, sourceTable, 3000);
        var request = new Proto.ObjectCreateRequest();
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.Mode, S32 = (int)BulkGetSessionMode.Grpc });
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.ServerIp, Ip = FlowRecordCodec.ToIpMessage(IpAddress.Parse("127.0.0.1")) });
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.ServerPort, U32 = (uint)_target.GrpcEndpoint.Port });

        var finished = await CreateAndWaitAsync(request);

        Assert.Equal((uint)BulkGetSessionState.Completed, finished.FinalState);
        Assert.Equal(3000ul, finished.EntriesDelivered);
        Assert.True(_target.Api.TryGetTable(targetTable, out var target));
        Assert.Equal(3000, target.Count);
        for (int i = 0; i < 3000; i += 97)
        {
            Assert.Equal(SaiStatus.Success, _source.Api.GetFlowEntry(new FlowEntryAddress(sourceTable, Key(i)), out var expected, out _));
            Assert.Equal(SaiStatus.Success, _target.Api.GetFlowEntry(new FlowEntryAddress(targetTable, Key(i)), out var actual, out _));
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public async Task GrpcModeSession_ReceiverGone_SessionFails()
    {
        var sourceTable = CreateTable(_source.Api);
        Load(_source.Api, sourceTable, 100);
        var request = new Proto.ObjectCreateRequest();
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.Mode, S32 = (int)BulkGetSessionMode.Grpc });
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.ServerIp, Ip = FlowRecordCodec.ToIpMessage(IpAddress.Parse("127.0.0.1")) });
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.ServerPort, U32 = 1 }); // nothing listens there

        var finished = await CreateAndWaitAsync(request);

        Assert.Equal((uint)BulkGetSessionState.Failed, finished.FinalState);
    }

    [Fact]
    public async Task EventModeSession_TenFlowsToVmBPort443_StreamsTenEntriesThenFinished()
    {
        var table = CreateTable(_source.Api);
        Load(_source.Api, table, 500);
        ulong filter = (await _client.CreateFlowEntryBulkGetSessionFilterAsync(Filter(BulkGetFilterKey.DstL4Port, BulkGetFilterOp.EqualTo, 443))).Oid;
        var request = new Proto.ObjectCreateRequest();
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.Mode, S32 = (int)BulkGetSessionMode.Event });
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.EntryLimitation, U32 = 10 });
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.FirstFilterId, Oid = filter });
        var entries = new List<Proto.BulkGetSessionEvent>();

        var finished = await CreateAndWaitAsync(request, entries);

        Assert.Equal((uint)BulkGetSessionState.Completed, finished.FinalState);
        Assert.Equal(10, entries.Count);
        Assert.All(entries, e => Assert.Equal(443u, e.Key.Key.DstPort));
        Assert.All(entries, e => Assert.Equal(33, e.Attrs.Count));
    }

    [Fact]
    public async Task SessionWithSixthFilterOrUnknownFilter_Refused()
    {
        var request = new Proto.ObjectCreateRequest();
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.Mode, S32 = (int)BulkGetSessionMode.Event });
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.FirstFilterId, Oid = ObjectIds.Make(FlowObjectType.BulkGetSessionFilter, 4242) });

        var e = await Assert.ThrowsAsync<RpcException>(async () => await _client.CreateFlowEntryBulkGetSessionAsync(request));

        Assert.NotEqual(StatusCode.OK, e.StatusCode);
        Assert.NotNull(Services.SaiStatusMapping.FromException(e));
    }

    private static Proto.ObjectCreateRequest Filter(BulkGetFilterKey key, BulkGetFilterOp op, ulong value)
    {
        var request = new Proto.ObjectCreateRequest();
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionFilterAttr.Key, S32 = (int)key });
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionFilterAttr.Op, S32 = (int)op });
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionFilterAttr.IntValue, U64 = value });
        return request;
    }
}
