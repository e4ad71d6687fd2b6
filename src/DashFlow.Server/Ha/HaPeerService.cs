using DashFlow.Model;
using DashFlow.Server.Grpc;
using Grpc.Core;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Ha;

/// <summary>The HaPeer gRPC service: a thin adapter over the agent's <see cref="HaNode"/>.</summary>
public sealed class HaPeerService(HaNode node, IHostApplicationLifetime lifetime) : HaPeerServiceBase
{
    private static readonly Status Stopped = new(StatusCode.Unavailable, "ha: this node has stopped");
    private static readonly Status NotReceiving = new(StatusCode.FailedPrecondition, "ha: this node does not accept sync in its state");
    private static readonly Status Superseded = new(StatusCode.Aborted, "ha: a newer inline stream from the peer superseded this one");

    public override async Task InlineSync(IAsyncStreamReader<PooledMessage<Proto.FlowSyncBatch>> requestStream, IServerStreamWriter<Proto.FlowSyncAckBatch> responseStream, ServerCallContext context)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, node.Stopping, lifetime.ApplicationStopping);
        if (!node.AcceptingSync || node.Partitioned)
        {
            throw new RpcException(NotReceiving);
        }

        long stream = node.BeginInlineStream();

        // Each batch's ack is written while the next batch is read and applied (one write in flight at a time; acks
        // stay in order).
        Task written = Task.CompletedTask;
        try
        {
            while (await requestStream.MoveNext(stop.Token).ConfigureAwait(false))
            {
                if (!node.AcceptingSync || node.Partitioned)
                {
                    await written.ConfigureAwait(false);
                    throw new RpcException(NotReceiving); // the role changed under the stream: the sender reconnects
                }

                Proto.FlowSyncAckBatch? ack;
                using (var batch = requestStream.Current) // applied before the next read: its buffer goes back now
                {
                    ack = node.ApplyInline(stream, batch.Message, batch.Pooled);
                }

                if (ack is null)
                {
                    await written.ConfigureAwait(false);
                    throw new RpcException(Superseded); // the active already resends this batch on its newer stream
                }

                await written.ConfigureAwait(false);
                written = responseStream.WriteAsync(ack, stop.Token);
            }

            await written.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The sender went away or this node is stopping: the stream simply ends (the sender resends what was not acked).
        }
    }

    public override Task<Proto.HaControlReply> Control(Proto.HaControl request, ServerCallContext context) =>
        node.Stopping.IsCancellationRequested || node.Partitioned ? throw new RpcException(Stopped) : node.HandleControlAsync(request);

    public override Task<Proto.FlowSyncAckBatch> RangeSync(Proto.FlowSyncBatch request, ServerCallContext context) =>
        node.Stopping.IsCancellationRequested || node.Partitioned ? throw new RpcException(Stopped)
        : node.ApplyRange(request) is { } ack ? Task.FromResult(ack) : throw new RpcException(NotReceiving);

    public override Task<Proto.HaStatus> GetStatus(Proto.HaStatusRequest request, ServerCallContext context) => Task.FromResult(node.Status());

    public override async Task<Proto.HaControlReply> Switchover(Proto.HaSwitchoverRequest request, ServerCallContext context)
    {
        var (state, status) = await node.SwitchoverAsync(context.CancellationToken).ConfigureAwait(false);
        if (status == SaiStatus.ObjectInUse)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"ha switchover: this node is {state} (a switchover needs an active/standby pair)"));
        }

        return new Proto.HaControlReply { Status = (int)status, HaState = (uint)state, Term = node.Term };
    }
}
