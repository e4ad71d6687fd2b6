using DashFlow.Api;
using DashFlow.Model;
using DashFlow.Records;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Services;

/// <summary>
/// The agent's default receiver: applies received records to a local flow table, creating an entry or replacing the
/// state of one already held (as the standby does with a bulk sync). The target is <see cref="Target"/>, else the agent's
/// only table.
/// </summary>
public sealed class TableApplyingConsumer(FlowApi api) : IFlowBatchConsumer
{
    /// <summary>The table records go to; null means the agent's only table.</summary>
    public FlowTableId? Target { get; set; }

    public ValueTask<int> ConsumeAsync(ulong sessionId, FlowRecordBatch batch, CancellationToken cancellationToken)
    {
        var table = Target ?? (api.FlowTableIds.Count == 1 ? api.FlowTableIds[0] : (FlowTableId?)null)
            ?? throw SaiStatusMapping.ToException(SaiStatus.InvalidParameter, "receive: no single local table to apply records to");
        var apply = new Applier(api, table);
        batch.ForEach(ref apply); // a record that does not decode is skipped; broken framing ends the batch
        return ValueTask.FromResult(apply.Applied);
    }

    public ValueTask CompleteAsync(ulong sessionId, Proto.BulkGetCompletion? completion, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    private struct Applier(FlowApi api, FlowTableId table) : IFlowRecordVisitor
    {
        public int Applied { get; private set; }

        public void Visit(in FlowKey key, in FlowState state, byte[] vendorMetadata)
        {
            var address = new FlowEntryAddress(table, key);
            var status = api.CreateFlowEntry(in address, in state, vendorMetadata);
            if (status == SaiStatus.ItemAlreadyExists)
            {
                status = api.SetFlowEntryAttribute(in address, SaiAttribute.Bytes(FlowEntryAttr.FlowDataPb, FlowRecordCodec.Encode(in key, in state, vendorMetadata)));
            }

            Applied += status == SaiStatus.Success ? 1 : 0;
        }
    }
}
