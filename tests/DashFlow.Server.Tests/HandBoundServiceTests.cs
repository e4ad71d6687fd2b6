using DashFlow.Ha.Roles;
using DashFlow.Server.Tests.Ha;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Tests;

/// <summary>The FlowReceiver and HaPeer services as bound by hand (pooled request marshallers) on a real agent: reflection
/// still describes them, and a malformed request gets a status naming the problem.</summary>
public sealed class HandBoundServiceTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    [Fact]
    public async Task Reflection_ListsTheHandBoundServices()
    {
        Assert.Contains(Proto.FlowReceiver.Descriptor.FullName, await ListServicesAsync(agent.Channel));
        int port = HaPair.FreePort();
        await using var ha = await HaPair.StartAsync(port, HaPair.FreePort(), HaDesiredState.Standby); // its peer never answers
        using var channel = GrpcChannel.ForAddress(ha.GrpcAddress);
        Assert.Contains(Proto.HaPeer.Descriptor.FullName, await ListServicesAsync(channel));
    }

    private static async Task<List<string>> ListServicesAsync(GrpcChannel channel)
    {
        var client = new ServerReflection.ServerReflectionClient(channel);
        using var call = client.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        return call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
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
        Assert.Equal("malformed dash.flow.v1.FlowBatch: field 4 claims 16 bytes, 1 remain", e.Status.Detail);
    }
}
