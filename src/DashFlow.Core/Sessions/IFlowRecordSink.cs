using DashFlow.Model;
using DashFlow.Records;

namespace DashFlow.Sessions;

/// <summary>
/// Where a GRPC-mode bulk get session sends its records: the receiver service at SERVER_IP:SERVER_PORT (D9, D12). The
/// gRPC client that streams <c>FlowBatch</c> messages implements it; tests use an in-memory sink.
/// </summary>
/// <remarks>
/// The session calls <see cref="SendAsync"/> for each batch, in order, never concurrently; then <see cref="CompleteAsync"/>
/// exactly once with the final state (also after a cancellation or a failure, best effort); then disposes the sink. An
/// exception from the sink fails the session (state FAILED). A batch is packed records (no object per flow) and belongs
/// to the sink once passed.
/// </remarks>
public interface IFlowRecordSink : IAsyncDisposable
{
    /// <summary>Delivers a batch of records; the session waits for it, so a slow receiver slows the session.</summary>
    ValueTask SendAsync(BulkGetSessionId session, FlowRecordBatch batch, CancellationToken cancellationToken);

    /// <summary>True when the sink is done with a batch once <see cref="SendAsync"/> completed (its bytes were copied
    /// out), so the session may refill it instead of allocating a new one.</summary>
    bool ReleasesBatches => false;

    /// <summary>Ends the stream with the session's final state and the number of records delivered.</summary>
    ValueTask CompleteAsync(BulkGetSessionId session, BulkGetSessionState finalState, long entriesDelivered, CancellationToken cancellationToken);
}

/// <summary>Opens a sink for a GRPC-mode session's SERVER_IP and SERVER_PORT.</summary>
public delegate IFlowRecordSink FlowRecordSinkFactory(IpAddress serverIp, ushort serverPort);
