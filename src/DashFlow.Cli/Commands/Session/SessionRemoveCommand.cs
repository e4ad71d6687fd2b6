using System.CommandLine;
using DashFlow.Cli.Client;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Commands.Session;

/// <summary><c>dashflow session remove --id ID</c>: cancels a running session (its FINISHED says cancelled, D15).</summary>
public static class SessionRemoveCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var server = AgentConnection.ServerOption();
        var timeout = AgentConnection.TimeoutOption();
        var id = new Option<string>("--id") { Description = "The session's object id.", Required = true };
        var command = new Command("remove", "Remove (and so cancel) a bulk get session.") { server, timeout, id };
        command.SetAction((parse, cancellation) =>
        {
            if (!TableOptions.TryReadId(parse.GetValue(id)!, error, out ulong oid))
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            return AgentConnection.RunAsync(parse.GetValue(server)!, parse.GetValue(timeout), error, async (client, options) =>
            {
                await client.RemoveFlowEntryBulkGetSessionAsync(new Proto.ObjectId { Oid = oid }, options).ResponseAsync.ConfigureAwait(false);
                output.WriteLine($"removed 0x{oid:x}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }
}
