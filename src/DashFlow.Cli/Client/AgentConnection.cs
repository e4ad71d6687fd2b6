using System.CommandLine;
using DashFlow.Model;
using DashFlow.Server.Hosting;
using DashFlow.Server.Services;
using Grpc.Core;
using Grpc.Net.Client;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Client;

/// <summary>The options every client command shares, and the one place that turns RPC failures into exit codes.</summary>
public static class AgentConnection
{
    /// <summary>--server: the agent's address.</summary>
    public static Option<string> ServerOption() => new("--server")
    {
        Description = "The agent's address, host:port or http://host:port.",
        DefaultValueFactory = _ => "127.0.0.1:50051",
    };

    /// <summary>--timeout: the deadline of each call.</summary>
    public static Option<double> TimeoutOption() => new("--timeout")
    {
        Description = "Seconds to wait for the agent.",
        DefaultValueFactory = _ => 10,
    };

    /// <summary>Opens a channel to the agent (HTTP/2 without TLS).</summary>
    public static GrpcChannel Open(string server) =>
        Http2Tuning.Channel(server.Contains("://", StringComparison.Ordinal) ? server : $"http://{server}");

    /// <summary>Runs <paramref name="call"/> against the agent and maps failures to one line and an exit code.</summary>
    public static async Task<int> RunAsync(string server, double timeoutSeconds, TextWriter error, Func<Proto.FlowApi.FlowApiClient, CallOptions, Task<int>> call)
    {
        using var channel = Open(server);
        var client = new Proto.FlowApi.FlowApiClient(channel);
        var options = new CallOptions(deadline: DateTime.UtcNow.AddSeconds(timeoutSeconds));
        try
        {
            return await call(client, options).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            return Report(e, server, error);
        }
    }

    /// <summary>One clear line for a failed call, and its exit code.</summary>
    public static int Report(RpcException e, string server, TextWriter error)
    {
        switch (e.StatusCode)
        {
            case StatusCode.Unavailable:
                error.WriteLine($"dashflow: agent unreachable at {server} ({e.Status.Detail})");
                return ExitCodes.AgentUnreachable;
            case StatusCode.DeadlineExceeded:
                error.WriteLine($"dashflow: the agent at {server} did not answer in time");
                return ExitCodes.Timeout;
            default:
                var sai = SaiStatusMapping.FromException(e);
                error.WriteLine(sai is null
                    ? $"dashflow: {e.StatusCode}: {e.Status.Detail}"
                    : $"dashflow: {e.Status.Detail} ({(int)sai.Value})");
                return ExitCodes.SaiError;
        }
    }

    /// <summary>Prints a bulk reply's failures; the exit code is SaiError when any object failed.</summary>
    public static int ReportBulk(Proto.BulkStatusReply reply, TextWriter error, Func<int, string> describeObject)
    {
        for (int i = 0; i < reply.Statuses.Count; i++)
        {
            var status = (SaiStatus)reply.Statuses[i];
            if (status != SaiStatus.Success)
            {
                error.WriteLine($"dashflow: {describeObject(i)}: {status.Describe()}");
            }
        }

        return reply.Status == (int)SaiStatus.Success ? ExitCodes.Ok : ExitCodes.SaiError;
    }
}
