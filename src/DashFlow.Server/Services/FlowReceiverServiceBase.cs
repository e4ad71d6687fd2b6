using DashFlow.Server.Grpc;
using Grpc.Core;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Services;

/// <summary>
/// The FlowReceiver service's binding, in place of the generated base class: the same service, method and wire contract,
/// but a request's packed records arrive in a rented buffer (<see cref="PooledMessageMarshaller"/>) instead of a new
/// array per message.
/// </summary>
[BindServiceMethod(typeof(FlowReceiverServiceBase), nameof(BindService))]
public abstract class FlowReceiverServiceBase
{
    private static readonly Method<PooledMessage<Proto.FlowBatch>, Proto.ReceiveSummary> ReceiveMethod = new(
        MethodType.ClientStreaming,
        Proto.FlowReceiver.Descriptor.FullName,
        nameof(Receive),
        PooledMessageMarshaller.Pooled<Proto.FlowBatch>(Proto.FlowBatch.PackedEntriesFieldNumber, static (m, bytes) => m.PackedEntries = bytes),
        PooledMessageMarshaller.Standard<Proto.ReceiveSummary>());

    /// <summary>The service's descriptor (gRPC reflection finds it here).</summary>
    public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => Proto.FlowReceiver.Descriptor;

    /// <summary>Binds the service's one method (gRPC calls this with a null instance while it discovers methods).</summary>
    public static void BindService(ServiceBinderBase binder, FlowReceiverServiceBase? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(ReceiveMethod, service is null ? null! : service.Receive);
    }

    /// <summary>Receive (client stream of FlowBatch → ReceiveSummary). A batch's packed records
    /// (<see cref="PooledMessage{T}.Pooled"/>) are valid until the batch is disposed.</summary>
    public abstract Task<Proto.ReceiveSummary> Receive(IAsyncStreamReader<PooledMessage<Proto.FlowBatch>> requestStream, ServerCallContext context);
}
