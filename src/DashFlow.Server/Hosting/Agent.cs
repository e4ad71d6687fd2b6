using System.Net;
using DashFlow.Api;
using DashFlow.Server.Ha;
using DashFlow.Server.Services;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Prometheus;

namespace DashFlow.Server.Hosting;

/// <summary>
/// A running DashFlow agent: the Flow API behind an ASP.NET Core (Kestrel, HTTP/2) gRPC endpoint with health checking and
/// reflection, and Prometheus metrics on an HTTP/1.1 endpoint. Used by <c>dashflow serve</c> and, in-process, by tests.
/// </summary>
public sealed class Agent : IAsyncDisposable
{
    private readonly WebApplication _app;

    private Agent(WebApplication app, FlowApi api, IPEndPoint grpc, IPEndPoint? metrics, HaNode? ha)
    {
        _app = app;
        Api = api;
        Ha = ha;
        GrpcEndpoint = grpc;
        MetricsEndpoint = metrics;
    }

    /// <summary>The device the agent serves.</summary>
    public FlowApi Api { get; }

    /// <summary>The HA node when the agent is one of a pair, else null.</summary>
    public HaNode? Ha { get; }

    /// <summary>Where the gRPC services listen (the real port when 0 was asked).</summary>
    public IPEndPoint GrpcEndpoint { get; }

    /// <summary>Where /metrics is served, if anywhere.</summary>
    public IPEndPoint? MetricsEndpoint { get; }

    /// <summary>The gRPC address as a URL, e.g. http://127.0.0.1:50051.</summary>
    public Uri GrpcAddress => new($"http://{GrpcEndpoint}");

    /// <summary>Starts an agent and returns once it listens.</summary>
    /// <exception cref="ArgumentException">An endpoint is malformed.</exception>
    /// <exception cref="IOException">An endpoint cannot be bound (in use, not local).</exception>
    public static async Task<Agent> StartAsync(AgentOptions options, CancellationToken cancellationToken = default)
    {
        if (!AgentOptions.TryParseEndpoint(options.Listen, out var grpcEndpoint, out string error))
        {
            throw new ArgumentException($"--listen: {error}", nameof(options));
        }

        IPEndPoint? metricsEndpoint = null;
        if (options.MetricsListen is { } metricsText && !AgentOptions.TryParseEndpoint(metricsText, out metricsEndpoint, out error))
        {
            throw new ArgumentException($"--metrics: {error}", nameof(options));
        }

        var api = new FlowApi(new FlowApiOptions
        {
            Capabilities = options.Capabilities,
            RecordSinkFactory = GrpcRecordSink.Factory(options.BulkGetDeadline),
        });
        var builder = WebApplication.CreateSlimBuilder();
        ConfigureLogging(builder.Logging, options);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            Http2Tuning.Apply(kestrel.Limits);
            kestrel.Listen(grpcEndpoint, listen => listen.Protocols = HttpProtocols.Http2); // h2c: no TLS, so HTTP/2 only
            if (metricsEndpoint is not null)
            {
                kestrel.Listen(metricsEndpoint, listen => listen.Protocols = HttpProtocols.Http1);
            }
        });
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>();
        builder.Services.AddSingleton(api);
        builder.Services.AddSingleton(options.Limits);
        builder.Services.AddSingleton<AgentMetrics>();
        builder.Services.AddSingleton<BulkGetEventHub>();
        // The HA node is named after the address it is configured with, so both sides compute the same election tie-break.
        var ha = options.Ha is { } haOptions ? new HaNode(api, haOptions, options.Listen) : null;
        IFlowBatchConsumer consumer = options.ReceiverConsumer ?? new TableApplyingConsumer(api);
        builder.Services.AddSingleton(ha is null ? consumer : new HaReceiverConsumer(ha, consumer));
        builder.Services.AddSingleton(new DecisionGate(ha));
        if (ha is not null)
        {
            builder.Services.AddSingleton(ha);
        }

        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = options.Limits.MaxMessageBytes;
            grpc.MaxSendMessageSize = options.Limits.MaxMessageBytes;
        });
        builder.Services.AddGrpcReflection();
        builder.Services.AddGrpcHealthChecks().AddCheck("flow-api", () => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy());

        var app = builder.Build();
        app.MapGrpcService<FlowApiService>();
        app.MapGrpcService<FlowReceiverService>();
        if (ha is not null)
        {
            app.MapGrpcService<HaPeerService>();
            app.Services.GetRequiredService<AgentMetrics>().Attach(ha);
        }

        app.MapGrpcReflectionService();
        app.MapGrpcHealthChecksService();
        var metrics = app.Services.GetRequiredService<AgentMetrics>();
        _ = app.Services.GetRequiredService<BulkGetEventHub>(); // registers the device's notification callback now, not at the first call
        if (metricsEndpoint is not null)
        {
            app.MapMetrics("/metrics", metrics.Registry);
        }

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            if (ha is not null)
            {
                await ha.DisposeAsync().ConfigureAwait(false);
            }

            api.Dispose();
            throw new IOException($"cannot listen on {options.Listen}{(metricsEndpoint is null ? string.Empty : $" / {options.MetricsListen}")}: {e.Message}", e);
        }

        // Kestrel lists bound addresses in the order the endpoints were configured: gRPC first, metrics last.
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a)).ToList();
        var grpcBound = new IPEndPoint(grpcEndpoint.Address, grpcEndpoint.Port != 0 ? grpcEndpoint.Port : bound[0].Port);
        IPEndPoint? metricsBound = metricsEndpoint is null ? null
            : new IPEndPoint(metricsEndpoint.Address, metricsEndpoint.Port != 0 ? metricsEndpoint.Port : bound[^1].Port);
        if (ha is not null)
        {
            // Ctrl+C or SIGTERM is a planned shutdown: drain and tell the peer before the host stops serving.
            var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
            lifetime.ApplicationStopping.Register(() => ha.ShutdownAsync().Wait(TimeSpan.FromSeconds(15)));
            ha.Start(); // once listening, so the peer can answer at once
        }
        return new Agent(app, api, grpcBound, metricsBound, ha);
    }

    /// <summary>Completes when the agent has been asked to stop (Ctrl+C, SIGTERM or <see cref="DisposeAsync"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops the agent. An HA node stops abruptly, as in a crash (the peer sees keepalives stop); call
    /// <see cref="HaNode.ShutdownAsync"/> first for a planned shutdown.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Ha is not null)
        {
            await Ha.DisposeAsync().ConfigureAwait(false);
        }

        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        Api.Dispose();
    }

    private static void ConfigureLogging(ILoggingBuilder logging, AgentOptions options)
    {
        logging.ClearProviders();
        if (string.Equals(options.LogFormat, "json", StringComparison.OrdinalIgnoreCase))
        {
            logging.AddJsonConsole();
        }
        else
        {
            logging.AddSimpleConsole(console => console.SingleLine = true);
        }

        logging.SetMinimumLevel(Enum.TryParse<LogLevel>(options.LogLevel, ignoreCase: true, out var level) ? level : LogLevel.Information);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
    }
}
