using DashFlow.Api;
using DashFlow.Model;
using DashFlow.Records;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Services;

/// <summary>
/// The agent's default receiver: applies received records to a local flow table, creating an entry or replacing the
/// state of one already held (as the standby does with a bulk sync). The target is the table a session names in the
/// "dashflow-table" header, else the agent's only table.
/// </summary>
public sealed class TableApplyingConsumer(FlowApi api) : IFlowBatchConsumer
{
    /// <summary>Resolves the table for a stream; null when none or several qualify.</summary>
    public FlowTableId? Target { get; set; }

    public ValueTask<int> ConsumeAsync(ulong sessionId, IReadOnlyList<Proto.SaiDashFlowEntry> entries, CancellationToken cancellationToken)
    {
        var table = Target ?? (api.FlowTableIds.Count == 1 ? api.FlowTableIds[0] : (FlowTableId?)null)
            ?? throw SaiStatusMapping.ToException(SaiStatus.InvalidParameter, "receive: no single local table to apply records to");
        int applied = 0;
        foreach (var entry in entries)
        {
            if (FlowRecordCodec.TryFromMessage(entry, out var key, out var state, out var vendor) != SaiStatus.Success)
            {
                continue; // a malformed record is counted as received, not applied
            }

            var address = new FlowEntryAddress(table, key);
            var status = api.CreateFlowEntry(in address, in state, vendor);
            if (status == SaiStatus.ItemAlreadyExists)
            {
                status = api.SetFlowEntryAttribute(in address, SaiAttribute.Bytes(FlowEntryAttr.FlowDataPb, FlowRecordCodec.Encode(in key, in state, vendor)));
            }

            applied += status == SaiStatus.Success ? 1 : 0;
        }

        return ValueTask.FromResult(applied);
    }

    public ValueTask CompleteAsync(ulong sessionId, Proto.BulkGetCompletion? completion, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
