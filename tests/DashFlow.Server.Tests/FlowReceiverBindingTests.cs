using Grpc.Core;
using Grpc.Reflection.V1Alpha;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Tests;

/// <summary>The FlowReceiver service as bound by hand (pooled request marshaller) on a real agent: reflection still
/// describes it, and a malformed request gets a status naming the problem.</summary>
public sealed class FlowReceiverBindingTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    [Fact]
    public async Task Reflection_ListsTheFlowReceiverService()
    {
        var client = new ServerReflection.ServerReflectionClient(agent.Channel);
        using var call = client.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains(Proto.FlowReceiver.Descriptor.FullName, names);
    }

    [Fact]
    public async Task Receive_MalformedBatch_IsAnsweredInvalidArgumentNamingTheField()
    {
        var raw = Marshallers.Create<byte[]>(static bytes => bytes, static bytes => bytes);
        var method = new Method<byte[], byte[]>(MethodType.ClientStreaming, Proto.FlowReceiver.Descriptor.FullName, "Receive", raw, raw);
        using var call = agent.Channel.CreateCallInvoker().AsyncClientStreamingCall(method, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
        await call.RequestStream.WriteAsync([0x22, 0x10, 0x01]); // packed_entries claims 16 bytes, 1 follows
        await call.RequestStream.CompleteAsync();
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("packed_entries claims 16 bytes, 1 remain", e.Status.Detail, StringComparison.Ordinal);
    }
}
