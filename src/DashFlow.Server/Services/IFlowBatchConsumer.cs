using DashFlow.Records;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Services;

/// <summary>What the receiver service does with the records a GRPC-mode session sends: apply them to a local table, write
/// them to a file, or hand them to an application (the HA standby later).</summary>
public interface IFlowBatchConsumer
{
    /// <summary>Takes one batch of packed records; returns how many were applied. The batch may be a view of a pooled
    /// buffer: a consumer is done with it when the returned task completes (what it keeps, it copies or decodes first).</summary>
    ValueTask<int> ConsumeAsync(ulong sessionId, FlowRecordBatch batch, CancellationToken cancellationToken);

    /// <summary>Waits for what the consumer still applies of the session in the background (a consumer that applies
    /// before <see cref="ConsumeAsync"/> returns has nothing to wait for).</summary>
    /// <returns>How many of those records were applied.</returns>
    ValueTask<int> DrainAsync(ulong sessionId, CancellationToken cancellationToken) => ValueTask.FromResult(0);

    /// <summary>The session's completion arrived (or the stream ended without one: <paramref name="completion"/> is null).</summary>
    ValueTask CompleteAsync(ulong sessionId, Proto.BulkGetCompletion? completion, CancellationToken cancellationToken);
}
