using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DashFlow.Cli.Client;
using Grpc.Core;
using Spectre.Console;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Commands.Ha;

/// <summary><c>dashflow ha status [--server] [--json]</c>: role, state, term, peer, lag and counters.</summary>
public static class HaStatusCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var server = AgentConnection.ServerOption();
        var timeout = AgentConnection.TimeoutOption();
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("status", "Show the agent's HA role, state, term, peer, lag and sync counters.") { server, timeout, json };
        command.SetAction((parse, cancellation) => RunAsync(parse.GetValue(server)!, parse.GetValue(timeout), error, async (client, options) =>
        {
            var status = await client.GetStatusAsync(new Proto.HaStatusRequest(), options).ResponseAsync.ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["state"] = status.State,
                    ["role"] = Role(status),
                    ["term"] = status.Term,
                    ["decides"] = status.Decides,
                    ["peer"] = status.Peer,
                    ["peer_state"] = status.PeerState,
                    ["desired"] = status.Desired,
                    ["lag"] = status.Pending,
                    ["ack_p50_ms"] = status.AckP50Ms,
                    ["ack_p99_ms"] = status.AckP99Ms,
                    ["counters"] = status.Counters.OrderBy(c => c.Key, StringComparer.Ordinal).ToDictionary(c => c.Key, c => c.Value),
                }));
                return ExitCodes.Ok;
            }

            var table = new Spectre.Console.Table().AddColumn("ha").AddColumn("value");
            table.AddRow("role", Role(status));
            table.AddRow("state", status.State);
            table.AddRow("term", status.Term.ToString(CultureInfo.InvariantCulture));
            table.AddRow("peer", $"{Markup.Escape(status.Peer)} ({status.PeerState})");
            table.AddRow("lag (inline changes unacked)", status.Pending.ToString(CultureInfo.InvariantCulture));
            table.AddRow("inline ack p50 / p99", string.Create(CultureInfo.InvariantCulture, $"{status.AckP50Ms:F2} / {status.AckP99Ms:F2} ms"));
            foreach (var (name, value) in status.Counters.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                table.AddRow(name, value.ToString(CultureInfo.InvariantCulture));
            }

            ConsoleOutput.For(output).Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The role the state plays: active, standby, standalone or (between roles) the state itself.</summary>
    public static string Role(Proto.HaStatus status) => status.State switch
    {
        "active" or "standby" or "standalone" => status.State,
        _ when status.Decides => "active",
        _ => "none",
    };

    /// <summary>Runs <paramref name="call"/> against the agent's HaPeer service; an agent without HA answers one clear line.</summary>
    public static async Task<int> RunAsync(string server, double timeoutSeconds, TextWriter error, Func<Proto.HaPeer.HaPeerClient, CallOptions, Task<int>> call)
    {
        using var channel = AgentConnection.Open(server);
        var client = new Proto.HaPeer.HaPeerClient(channel);
        try
        {
            return await call(client, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(timeoutSeconds))).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            error.WriteLine($"dashflow: the agent at {server} is not one of an HA pair (start it with --ha-peer)");
            return ExitCodes.CheckFailed;
        }
        catch (RpcException e)
        {
            return AgentConnection.Report(e, server, error);
        }
    }
}
