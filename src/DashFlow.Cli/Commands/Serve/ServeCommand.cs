using System.CommandLine;
using System.Text.Json;
using DashFlow.Ha.Roles;
using DashFlow.Server.Ha;
using DashFlow.Server.Hosting;

namespace DashFlow.Cli.Commands.Serve;

/// <summary><c>dashflow serve</c>: runs the agent until Ctrl+C or SIGTERM. Settings come from --config (JSON), then
/// DASHFLOW_LISTEN / DASHFLOW_METRICS / DASHFLOW_LOG_FORMAT, then flags, each overriding the one before.</summary>
public static class ServeCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var listen = new Option<string?>("--listen") { Description = "gRPC address (default 127.0.0.1:50051; port 0 picks one)." };
        var metrics = new Option<string?>("--metrics") { Description = "Prometheus address for /metrics, e.g. 127.0.0.1:9464 (default: none)." };
        var config = new Option<FileInfo?>("--config") { Description = "A JSON file with Listen, MetricsListen, LogFormat, LogLevel, Limits." };
        var logFormat = new Option<string?>("--log-format") { Description = "text or json." };
        var haPeer = new Option<string?>("--ha-peer") { Description = "Pair with the HA peer agent at host:port (inline and bulk sync, failover)." };
        var haDesired = new Option<string?>("--ha-desired") { Description = "The preferred HA role: active or standby (breaks election ties)." };
        var command = new Command("serve", "Run the DashFlow agent: the Flow API over gRPC, health, reflection and metrics.")
        {
            listen,
            metrics,
            config,
            logFormat,
            haPeer,
            haDesired,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            AgentOptions options;
            try
            {
                options = Resolve(parse.GetValue(config), parse.GetValue(listen), parse.GetValue(metrics), parse.GetValue(logFormat));
                options = WithHa(options, parse.GetValue(haPeer), parse.GetValue(haDesired));
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
            {
                error.WriteLine($"dashflow: --config: {e.Message}");
                return ExitCodes.Usage;
            }
            catch (ArgumentException e)
            {
                error.WriteLine($"dashflow: {e.Message}");
                return ExitCodes.Usage;
            }

            try
            {
                await using var agent = await Agent.StartAsync(options, cancellation).ConfigureAwait(false);
                output.WriteLine($"dashflow agent listening on {agent.GrpcAddress}{(agent.MetricsEndpoint is null ? string.Empty : $", metrics on http://{agent.MetricsEndpoint}/metrics")}");
                await agent.WaitForShutdownAsync(cancellation).ConfigureAwait(false); // an HA node shuts down planned on the way

                return ExitCodes.Ok;
            }
            catch (ArgumentException e)
            {
                error.WriteLine($"dashflow: {e.Message}");
                return ExitCodes.Usage;
            }
            catch (IOException e)
            {
                error.WriteLine($"dashflow: {e.Message}");
                return ExitCodes.LocalError;
            }
        });
        return command;
    }

    /// <summary>File, then environment, then flags.</summary>
    public static AgentOptions Resolve(FileInfo? config, string? listen, string? metrics, string? logFormat)
    {
        var options = config is null
            ? new AgentOptions()
            : JsonSerializer.Deserialize<AgentOptions>(File.ReadAllText(config.FullName), JsonOptions) ?? new AgentOptions();
        options = options with
        {
            Listen = listen ?? Environment.GetEnvironmentVariable("DASHFLOW_LISTEN") ?? options.Listen,
            MetricsListen = metrics ?? Environment.GetEnvironmentVariable("DASHFLOW_METRICS") ?? options.MetricsListen,
            LogFormat = logFormat ?? Environment.GetEnvironmentVariable("DASHFLOW_LOG_FORMAT") ?? options.LogFormat,
        };
        return options;
    }

    /// <summary>Adds the HA pairing from --ha-peer and --ha-desired (they override the file's Ha section).</summary>
    /// <exception cref="ArgumentException">--ha-desired is neither active nor standby, or is given without a peer.</exception>
    public static AgentOptions WithHa(AgentOptions options, string? peer, string? desired)
    {
        var role = desired?.ToLowerInvariant() switch
        {
            null => options.Ha?.Desired ?? HaDesiredState.None,
            "active" => HaDesiredState.Active,
            "standby" => HaDesiredState.Standby,
            _ => throw new ArgumentException($"--ha-desired takes active or standby, not '{desired}'"),
        };
        if (peer is null && options.Ha is null)
        {
            return desired is null ? options : throw new ArgumentException("--ha-desired needs --ha-peer");
        }

        var ha = options.Ha ?? new HaOptions();
        return options with { Ha = ha with { Peer = peer ?? ha.Peer, Desired = role } };
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip };
}
