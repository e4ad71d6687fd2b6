using System.CommandLine;
using DashFlow.Cli.Client;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Commands.Table;

/// <summary><c>dashflow table remove --id OID</c>: a table that still holds entries is refused (OBJECT_IN_USE, D17).</summary>
public static class TableRemoveCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var server = AgentConnection.ServerOption();
        var timeout = AgentConnection.TimeoutOption();
        var id = TableOptions.Id();
        var command = new Command("remove", "Remove an empty flow table.") { server, timeout, id };
        command.SetAction((parse, cancellation) =>
        {
            if (!TableOptions.TryReadId(parse.GetValue(id)!, error, out ulong oid))
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            return AgentConnection.RunAsync(parse.GetValue(server)!, parse.GetValue(timeout), error, async (client, options) =>
            {
                await client.RemoveFlowTableAsync(new Proto.ObjectId { Oid = oid }, options).ResponseAsync.ConfigureAwait(false);
                output.WriteLine($"removed 0x{oid:x}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }
}
