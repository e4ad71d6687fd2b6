using DashFlow.Model;
using DashFlow.Records;
using DashFlow.Server.Hosting;
using DashFlow.Sessions;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Services;

/// <summary>
/// The sink of a GRPC-mode bulk get session: a client stream of <c>FlowBatch</c> messages to the FlowReceiver service at
/// SERVER_IP:SERVER_PORT. HTTP/2 flow control is the back-pressure (each send waits for the transport); the whole stream
/// has a deadline; a receiver that is gone fails the send, and so the session (FAILED).
/// </summary>
public sealed class GrpcRecordSink : IFlowRecordSink
{
    private readonly GrpcChannel _channel;
    private readonly AsyncClientStreamingCall<Proto.FlowBatch, Proto.ReceiveSummary> _call;
    private bool _completed;

    public GrpcRecordSink(IpAddress serverIp, ushort serverPort, TimeSpan deadline)
    {
        string host = serverIp.IsV6 ? $"[{serverIp}]" : serverIp.ToString();
        _channel = Http2Tuning.Channel($"http://{host}:{serverPort}");
        _call = new Proto.FlowReceiver.FlowReceiverClient(_channel).Receive(deadline: DateTime.UtcNow.Add(deadline));
    }

    /// <summary>The receiver's summary once the stream completed.</summary>
    public Proto.ReceiveSummary? Summary { get; private set; }

    /// <summary>A factory for <see cref="Api.FlowApiOptions.RecordSinkFactory"/>.</summary>
    public static FlowRecordSinkFactory Factory(TimeSpan deadline) => (ip, port) => new GrpcRecordSink(ip, port, deadline);

    /// <summary>True: the message is serialized into the HTTP/2 stream before <see cref="SendAsync"/> completes.</summary>
    public bool ReleasesBatches => true;

    public async ValueTask SendAsync(BulkGetSessionId session, FlowRecordBatch batch, CancellationToken cancellationToken)
    {
        // The batch belongs to the sink, so its bytes can go on the wire without a copy.
        var message = new Proto.FlowBatch
        {
            SessionId = session.Value,
            PackedEntries = UnsafeByteOperations.UnsafeWrap(batch.Packed),
            PackedCount = (uint)batch.Count,
        };
        await _call.RequestStream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask CompleteAsync(BulkGetSessionId session, BulkGetSessionState finalState, long entriesDelivered, CancellationToken cancellationToken)
    {
        var status = finalState == BulkGetSessionState.Completed ? SaiStatus.Success : SaiStatus.Failure;
        await _call.RequestStream.WriteAsync(new Proto.FlowBatch
        {
            SessionId = session.Value,
            Completion = new Proto.BulkGetCompletion { TotalEntries = (ulong)entriesDelivered, Status = (int)status, FinalState = (uint)finalState },
        }, cancellationToken).ConfigureAwait(false);
        await _call.RequestStream.CompleteAsync().ConfigureAwait(false);
        Summary = await _call.ResponseAsync.WaitAsync(cancellationToken).ConfigureAwait(false);
        _completed = true;
    }

    public ValueTask DisposeAsync()
    {
        if (!_completed)
        {
            _call.Dispose(); // cancels a stream that did not finish
        }

        _channel.Dispose();
        return ValueTask.CompletedTask;
    }
}
