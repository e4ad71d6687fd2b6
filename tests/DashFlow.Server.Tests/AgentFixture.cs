using DashFlow.Cli;
using DashFlow.Server.Hosting;
using Grpc.Net.Client;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Tests;

/// <summary>A real agent on a free loopback port, a gRPC client for it, and the real CLI run in-process against it.</summary>
public sealed class AgentFixture : IAsyncLifetime
{
    public Agent Agent { get; private set; } = null!;

    public GrpcChannel Channel { get; private set; } = null!;

    public Proto.FlowApi.FlowApiClient Client { get; private set; } = null!;

    public string Server => Agent.GrpcEndpoint.ToString();

    public async Task InitializeAsync()
    {
        Agent = await Agent.StartAsync(new AgentOptions
        {
            Listen = "127.0.0.1:0",
            MetricsListen = "127.0.0.1:0",
            LogLevel = "Warning",
            Limits = new AgentLimits { MaxBulkObjects = 1000, MaxMessageBytes = 1024 * 1024 },
        });
        Channel = GrpcChannel.ForAddress(Agent.GrpcAddress);
        Client = new Proto.FlowApi.FlowApiClient(Channel);
    }

    public async Task DisposeAsync()
    {
        Channel.Dispose();
        await Agent.DisposeAsync();
    }

    /// <summary>Runs the dashflow CLI in-process; returns the exit code and what it printed.</summary>
    public static (int Exit, string Out, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = DashFlowCli.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
