using System.Net;
using DashFlow.Api;

namespace DashFlow.Server.Hosting;

/// <summary>How an agent listens and what it allows; bound from a JSON file, DASHFLOW_* environment variables and flags.</summary>
public sealed record AgentOptions
{
    /// <summary>The gRPC endpoint (HTTP/2 without TLS); port 0 picks a free port.</summary>
    public string Listen { get; init; } = "127.0.0.1:50051";

    /// <summary>The Prometheus endpoint (HTTP/1.1, path /metrics), or null for none.</summary>
    public string? MetricsListen { get; init; }

    /// <summary>"text" or "json" console logs.</summary>
    public string LogFormat { get; init; } = "text";

    /// <summary>The lowest log level written.</summary>
    public string LogLevel { get; init; } = "Information";

    /// <summary>Message and bulk bounds.</summary>
    public AgentLimits Limits { get; init; } = new();

    /// <summary>How long a GRPC-mode session may stream into its receiver (SONiC's bulk-sync timeout is 120 s).</summary>
    public TimeSpan BulkGetDeadline { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>What the receiver service does with records; by default they are applied to the agent's table.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public DashFlow.Server.Services.IFlowBatchConsumer? ReceiverConsumer { get; init; }

    /// <summary>The HA pairing (the peer agent and the preferred role), or null for a lone agent.</summary>
    public DashFlow.Server.Ha.HaOptions? Ha { get; init; }

    /// <summary>The Flow API's capabilities (a partial implementation turns features off).</summary>
    public FlowCapabilities Capabilities { get; init; } = FlowCapabilities.Full;

    /// <summary>Parses "host:port" or "[v6]:port"; false with a reason when malformed.</summary>
    public static bool TryParseEndpoint(string text, out IPEndPoint endpoint, out string error)
    {
        endpoint = null!;
        error = string.Empty;
        if (!IPEndPoint.TryParse(text, out var parsed) || parsed.Port > 65535)
        {
            error = $"'{text}' is not an address:port (e.g. 127.0.0.1:50051)";
            return false;
        }

        endpoint = parsed;
        return true;
    }
}
