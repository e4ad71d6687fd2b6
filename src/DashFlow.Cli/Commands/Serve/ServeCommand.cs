using System.CommandLine;
using System.Text.Json;
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
        var command = new Command("serve", "Run the DashFlow agent: the Flow API over gRPC, health, reflection and metrics.")
        {
            listen,
            metrics,
            config,
            logFormat,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            AgentOptions options;
            try
            {
                options = Resolve(parse.GetValue(config), parse.GetValue(listen), parse.GetValue(metrics), parse.GetValue(logFormat));
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
            {
                error.WriteLine($"dashflow: --config: {e.Message}");
                return ExitCodes.Usage;
            }

            try
            {
                await using var agent = await Agent.StartAsync(options, cancellation).ConfigureAwait(false);
                output.WriteLine($"dashflow agent listening on {agent.GrpcAddress}{(agent.MetricsEndpoint is null ? string.Empty : $", metrics on http://{agent.MetricsEndpoint}/metrics")}");
                await agent.WaitForShutdownAsync(cancellation).ConfigureAwait(false);
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

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip };
}
