using DashFlow.Records;
using DashFlow.Server.Services;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Ha;

/// <summary>The receiver of an HA agent: bulk-sync records go to the HA node while it receives a bulk sync; anything else
/// goes to the agent's usual consumer.</summary>
public sealed class HaReceiverConsumer(HaNode node, IFlowBatchConsumer fallback) : IFlowBatchConsumer
{
    public ValueTask<int> ConsumeAsync(ulong sessionId, FlowRecordBatch batch, CancellationToken cancellationToken) =>
        node.TryApplyBulk(batch, out int applied) ? ValueTask.FromResult(applied) : fallback.ConsumeAsync(sessionId, batch, cancellationToken);

    public ValueTask CompleteAsync(ulong sessionId, Proto.BulkGetCompletion? completion, CancellationToken cancellationToken) =>
        fallback.CompleteAsync(sessionId, completion, cancellationToken);
}
