using System.CommandLine;
using DashFlow.Cli.Client;
using DashFlow.Server.Client;
using DashFlow.Model;

namespace DashFlow.Cli.Commands.Session;

/// <summary>
/// <c>dashflow session create --mode grpc --receiver IP:PORT [filters…] [--limit N]</c>: creates the filters and the
/// session on the agent and prints the session id; it runs in the background there (see <c>session get</c>).
/// </summary>
public static class SessionCreateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var server = AgentConnection.ServerOption();
        var timeout = AgentConnection.TimeoutOption();
        var mode = new Option<string>("--mode") { Description = "grpc, event or event-no-state.", DefaultValueFactory = _ => "grpc" };
        var receiver = new Option<string?>("--receiver") { Description = "GRPC mode: the receiver's IP:PORT (SERVER_IP, SERVER_PORT)." };
        var limit = new Option<uint>("--limit") { Description = "BULK_GET_ENTRY_LIMITATION (0 = all).", DefaultValueFactory = _ => 0 };
        var filters = new FlowFilterOptions();
        var command = new Command("create", "Create a bulk get session; prints its id.") { server, timeout, mode, receiver, limit };
        filters.AddTo(command);
        command.SetAction((parse, cancellation) =>
        {
            var filterRequests = filters.Build(parse, error, out ulong? table);
            if (filterRequests is null)
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            var sessionMode = parse.GetValue(mode)!.ToLowerInvariant() switch
            {
                "grpc" => BulkGetSessionMode.Grpc,
                "event" => BulkGetSessionMode.Event,
                "event-no-state" => BulkGetSessionMode.EventWithoutFlowState,
                _ => (BulkGetSessionMode)(-1),
            };
            if ((int)sessionMode < 0)
            {
                error.WriteLine($"dashflow: --mode: '{parse.GetValue(mode)}' is not grpc, event or event-no-state");
                return Task.FromResult(ExitCodes.Usage);
            }

            System.Net.IPEndPoint? endpoint = null;
            if (parse.GetValue(receiver) is { } target && !System.Net.IPEndPoint.TryParse(target, out endpoint))
            {
                error.WriteLine($"dashflow: --receiver: '{target}' is not IP:PORT");
                return Task.FromResult(ExitCodes.Usage);
            }

            var session = BulkGetSessions.Request(sessionMode, parse.GetValue(limit), table, endpoint);
            return AgentConnection.RunAsync(parse.GetValue(server)!, parse.GetValue(timeout), error, async (client, options) =>
            {
                ulong id = await BulkGetSessions.CreateAsync(client, options, filterRequests, session, []).ConfigureAwait(false);
                output.WriteLine($"0x{id:x}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }
}
