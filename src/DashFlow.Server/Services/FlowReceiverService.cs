using DashFlow.Model;
using DashFlow.Records;
using DashFlow.Server.Grpc;
using Grpc.Core;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Services;

/// <summary>The FlowReceiver service: reads a GRPC-mode session's batches and hands them to the consumer; the stream ends
/// with the session's completion and is answered with a summary.</summary>
public sealed class FlowReceiverService(IFlowBatchConsumer consumer) : FlowReceiverServiceBase
{
    /// <summary>Receive: applies every batch of the stream through the consumer, then answers a summary.</summary>
    public override async Task<Proto.ReceiveSummary> Receive(IAsyncStreamReader<PooledMessage<Proto.FlowBatch>> requestStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        ulong received = 0, applied = 0, session = 0;
        Proto.BulkGetCompletion? completion = null;
        try
        {
            await foreach (var pooled in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                using (pooled) // consumers are done with a batch when ConsumeAsync completes: its buffer goes back then
                {
                    var batch = pooled.Message;
                    session = batch.SessionId;
                    if (batch.Entries.Count > 0)
                    {
                        received += (ulong)batch.Entries.Count;
                        applied += (ulong)await consumer.ConsumeAsync(batch.SessionId, FlowRecordBatch.FromMessages(batch.Entries), context.CancellationToken).ConfigureAwait(false);
                    }

                    if (batch.PackedCount > 0)
                    {
                        received += batch.PackedCount;
                        applied += (ulong)await consumer.ConsumeAsync(batch.SessionId, FlowRecordBatch.FromPacked(pooled.Pooled, (int)batch.PackedCount), context.CancellationToken).ConfigureAwait(false);
                    }

                    if (batch.Completion is not null)
                    {
                        completion = batch.Completion;
                    }
                }
            }
        }
        finally
        {
            // Records still being applied in the background count as applied once done (and a broken stream leaves nothing running).
            applied += (ulong)await consumer.DrainAsync(session, CancellationToken.None).ConfigureAwait(false);
        }

        await consumer.CompleteAsync(session, completion, context.CancellationToken).ConfigureAwait(false);
        return new Proto.ReceiveSummary
        {
            EntriesReceived = received,
            EntriesApplied = applied,
            Status = completion is null ? (int)SaiStatus.Failure : completion.Status,
        };
    }
}
