using DashFlow.Server.Client;
using DashFlow.Server.Hosting;
using Grpc.Core;
using Grpc.Net.Client;
using Proto = DashFlow.Protos;

namespace DashFlow.Demo;

/// <summary>Compares the two agents' tables exactly as <c>dashflow ha diff</c> does: over gRPC, through a receiver.</summary>
internal static class DemoTableDiff
{
    private static readonly TimeSpan WalkTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Walks every table of <paramref name="server"/> and of <paramref name="peer"/> and compares them.</summary>
    public static async Task<HaTableDiff.Result> CompareAsync(Agent server, Agent peer, CancellationToken cancellationToken)
    {
        var collector = new FlowVersionCollector();
        await using var receiver = await ReceiverHost.StartAsync("127.0.0.1:0", collector, cancellationToken: cancellationToken).ConfigureAwait(false);
        var left = await WalkAsync(server, collector, receiver, cancellationToken).ConfigureAwait(false);
        var right = await WalkAsync(peer, collector, receiver, cancellationToken).ConfigureAwait(false);
        return HaTableDiff.Compare(left, right);
    }

    private static async Task<Dictionary<ulong, Dictionary<Model.FlowKey, uint>>> WalkAsync(Agent agent, FlowVersionCollector collector, ReceiverHost receiver, CancellationToken cancellationToken)
    {
        using var channel = GrpcChannel.ForAddress(agent.GrpcAddress);
        var client = new Proto.FlowApi.FlowApiClient(channel);
        return await HaTableDiff.WalkAsync(client, new CallOptions(cancellationToken: cancellationToken), collector, receiver.Endpoint, WalkTimeout).ConfigureAwait(false);
    }
}
