using DashFlow.Server.Grpc;
using Grpc.Core;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Ha;

/// <summary>
/// The HaPeer service's binding, in place of the generated base class: the same service, methods and wire contract, but
/// an inline batch's packed records arrive in a rented buffer (<see cref="PooledMessageMarshaller"/>): at 500k changes/s a
/// new array per batch was most of what the standby allocated.
/// </summary>
[BindServiceMethod(typeof(HaPeerServiceBase), nameof(BindService))]
public abstract class HaPeerServiceBase
{
    private static readonly string Service = Proto.HaPeer.Descriptor.FullName;

    private static readonly Method<PooledMessage<Proto.FlowSyncBatch>, Proto.FlowSyncAckBatch> InlineSyncMethod = new(
        MethodType.DuplexStreaming, Service, nameof(InlineSync),
        PooledMessageMarshaller.Pooled<Proto.FlowSyncBatch>(Proto.FlowSyncBatch.PackedEntriesFieldNumber, static (m, bytes) => m.PackedEntries = bytes),
        PooledMessageMarshaller.Standard<Proto.FlowSyncAckBatch>());

    private static readonly Method<Proto.HaControl, Proto.HaControlReply> ControlMethod = Unary<Proto.HaControl, Proto.HaControlReply>(nameof(Control));
    private static readonly Method<Proto.HaStatusRequest, Proto.HaStatus> GetStatusMethod = Unary<Proto.HaStatusRequest, Proto.HaStatus>(nameof(GetStatus));
    private static readonly Method<Proto.HaSwitchoverRequest, Proto.HaControlReply> SwitchoverMethod = Unary<Proto.HaSwitchoverRequest, Proto.HaControlReply>(nameof(Switchover));
    private static readonly Method<Proto.FlowSyncBatch, Proto.FlowSyncAckBatch> RangeSyncMethod = Unary<Proto.FlowSyncBatch, Proto.FlowSyncAckBatch>(nameof(RangeSync));

    /// <summary>The service's descriptor (gRPC reflection finds it here).</summary>
    public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => Proto.HaPeer.Descriptor;

    /// <summary>Binds the service's methods (gRPC calls this with a null instance while it discovers methods).</summary>
    public static void BindService(ServiceBinderBase binder, HaPeerServiceBase? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(InlineSyncMethod, service is null ? null! : service.InlineSync);
        binder.AddMethod(ControlMethod, service is null ? null! : service.Control);
        binder.AddMethod(GetStatusMethod, service is null ? null! : service.GetStatus);
        binder.AddMethod(SwitchoverMethod, service is null ? null! : service.Switchover);
        binder.AddMethod(RangeSyncMethod, service is null ? null! : service.RangeSync);
    }

    /// <summary>InlineSync: the active's change batches in, one ack batch per batch out. A batch's packed records
    /// (<see cref="PooledMessage{T}.Pooled"/>) are valid until the batch is disposed.</summary>
    public abstract Task InlineSync(IAsyncStreamReader<PooledMessage<Proto.FlowSyncBatch>> requestStream, IServerStreamWriter<Proto.FlowSyncAckBatch> responseStream, ServerCallContext context);

    /// <summary>One control message of the pair.</summary>
    public abstract Task<Proto.HaControlReply> Control(Proto.HaControl request, ServerCallContext context);

    /// <summary>The node's role, state, term, peer, lag and counters.</summary>
    public abstract Task<Proto.HaStatus> GetStatus(Proto.HaStatusRequest request, ServerCallContext context);

    /// <summary>Planned switchover.</summary>
    public abstract Task<Proto.HaControlReply> Switchover(Proto.HaSwitchoverRequest request, ServerCallContext context);

    /// <summary>Range sync: what changed while the returning standby was away.</summary>
    public abstract Task<Proto.FlowSyncAckBatch> RangeSync(Proto.FlowSyncBatch request, ServerCallContext context);

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string name)
        where TRequest : class, Google.Protobuf.IMessage<TRequest>, new()
        where TResponse : class, Google.Protobuf.IMessage<TResponse>, new() =>
        new(MethodType.Unary, Service, name, PooledMessageMarshaller.Standard<TRequest>(), PooledMessageMarshaller.Standard<TResponse>());
}
