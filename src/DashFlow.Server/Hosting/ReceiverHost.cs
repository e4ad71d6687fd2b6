using System.Net;
using DashFlow.Server.Services;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DashFlow.Server.Hosting;

/// <summary>A standalone FlowReceiver (no Flow API): the target of GRPC-mode sessions for <c>dashflow receive</c> and tests.</summary>
public sealed class ReceiverHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ReceiverHost(WebApplication app, IPEndPoint endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    /// <summary>Where the receiver listens.</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>Starts a receiver on <paramref name="listen"/> handing batches to <paramref name="consumer"/>.</summary>
    /// <exception cref="ArgumentException">The address is malformed.</exception>
    /// <exception cref="IOException">The address cannot be bound.</exception>
    public static async Task<ReceiverHost> StartAsync(string listen, IFlowBatchConsumer consumer, int maxMessageBytes = 64 * 1024 * 1024, CancellationToken cancellationToken = default)
    {
        if (!AgentOptions.TryParseEndpoint(listen, out var endpoint, out string error))
        {
            throw new ArgumentException($"--listen: {error}", nameof(listen));
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            Http2Tuning.Apply(kestrel.Limits);
            kestrel.Listen(endpoint, l => l.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddSingleton(consumer);
        builder.Services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = maxMessageBytes);
        var app = builder.Build();
        app.MapGrpcService<FlowReceiverService>();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"cannot listen on {listen}: {e.Message}", e);
        }

        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new ReceiverHost(app, new IPEndPoint(endpoint.Address, bound.Port));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
