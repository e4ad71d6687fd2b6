using DashFlow.Api;
using DashFlow.Dataplane.Apps.Observe;
using DashFlow.Dataplane.Output;
using DashFlow.Dataplane.Pipeline;
using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Dataplane.Tests.Pipeline;

/// <summary>A device with one table bound to one ENI, a pipeline over it and a recording output.</summary>
internal sealed class PipelineHarness : IDisposable
{
    public static readonly MacAddress DashEniMac = MacAddress.Parse("00:00:02:03:04:05");

    public PipelineHarness(Func<FlowApi, FlowTableId, ISlowPath>? slowPath = null, uint ttlMs = 5000, uint maxFlows = 1000,
        TcpCloseMode close = TcpCloseMode.Both, bool teardown = true, IReadOnlyDictionary<uint, ushort>? vniToVnet = null, IPacketOutput? output = null)
    {
        Clock = FlowClock.Manual(1_000);
        Api = new FlowApi(new FlowApiOptions { Clock = Clock });
        Assert.Equal(SaiStatus.Success, Api.CreateFlowTable(out var table,
        [
            SaiAttribute.U32(FlowTableAttr.MaxFlowCount, maxFlows),
            SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, (int)FlowEnabledKey.All),
            SaiAttribute.U32(FlowTableAttr.FlowTtlInMilliseconds, ttlMs),
        ]));
        TableId = table;
        Assert.True(Api.TryGetTable(table, out var engine));
        Table = engine;
        SlowPath = slowPath?.Invoke(Api, table) ?? new RecordingSlowPath();
        Output = output ?? new RecordingOutput();
        Pipeline = new FlowPipeline(Api, SlowPath, Output, new PipelineOptions
        {
            Table = table,
            EniMac = DashEniMac,
            VniToVnet = vniToVnet,
            TcpClose = close,
            Teardown = teardown,
        });
    }

    public FlowClock Clock { get; }

    public FlowApi Api { get; }

    public FlowTableId TableId { get; }

    public FlowTable Table { get; }

    public ISlowPath SlowPath { get; }

    public IPacketOutput Output { get; }

    public FlowPipeline Pipeline { get; }

    public List<byte[]> Emitted => ((RecordingOutput)Output).Frames;

    public static ObserveApp Observe(FlowApi api, FlowTableId table, ObserveLearnMode learn = ObserveLearnMode.Dash) => new(api, table, learn);

    /// <summary>Runs a frame at <paramref name="ms"/> of packet time (from an arbitrary epoch).</summary>
    public bool Send(byte[] frame, long ms = 0) => Pipeline.Process(frame, (1_700_000_000_000 + ms) * 1_000_000);

    public void Dispose()
    {
        (SlowPath as IDisposable)?.Dispose();
        Api.Dispose();
    }
}
