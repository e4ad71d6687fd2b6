using System.CommandLine;
using DashFlow.Api;
using DashFlow.Cli.Client;
using DashFlow.Model;
using DashFlow.Records;
using Proto = DashFlow.Protos;

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

            var session = new Proto.ObjectCreateRequest();
            session.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.Mode, S32 = (int)sessionMode });
            session.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.EntryLimitation, U32 = parse.GetValue(limit) });
            if (parse.GetValue(receiver) is { } target)
            {
                if (!System.Net.IPEndPoint.TryParse(target, out var endpoint))
                {
                    error.WriteLine($"dashflow: --receiver: '{target}' is not IP:PORT");
                    return Task.FromResult(ExitCodes.Usage);
                }

                session.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.ServerIp, Ip = FlowRecordCodec.ToIpMessage(IpAddress.From(endpoint.Address)) });
                session.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.ServerPort, U32 = (uint)endpoint.Port });
            }

            if (table is { } tableId)
            {
                session.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.FlowTable, Oid = tableId });
            }

            return AgentConnection.RunAsync(parse.GetValue(server)!, parse.GetValue(timeout), error, async (client, options) =>
            {
                for (int i = 0; i < filterRequests.Count; i++)
                {
                    ulong filter = (await client.CreateFlowEntryBulkGetSessionFilterAsync(filterRequests[i], options).ResponseAsync.ConfigureAwait(false)).Oid;
                    session.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.FirstFilterId + (uint)i, Oid = filter });
                }

                var reply = await client.CreateFlowEntryBulkGetSessionAsync(session, options).ResponseAsync.ConfigureAwait(false);
                output.WriteLine($"0x{reply.Oid:x}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }
}
