using System.CommandLine;
using DashFlow.Cli.Client;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Commands.Table;

/// <summary><c>dashflow table set --id OID [--max-flows N] [--enabled-key K] [--ttl-ms T]</c>: one set call per attribute.</summary>
public static class TableSetCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var server = AgentConnection.ServerOption();
        var timeout = AgentConnection.TimeoutOption();
        var id = TableOptions.Id();
        var maxFlows = TableOptions.MaxFlows();
        var enabledKey = TableOptions.EnabledKey();
        var ttl = TableOptions.TtlMs();
        var command = new Command("set", "Change a flow table's attributes.") { server, timeout, id, maxFlows, enabledKey, ttl };
        command.SetAction((parse, cancellation) =>
        {
            if (!TableOptions.TryReadId(parse.GetValue(id)!, error, out ulong oid))
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            var attributes = TableOptions.Attributes(parse.GetValue(maxFlows), parse.GetValue(enabledKey), parse.GetValue(ttl), error);
            if (attributes is null || attributes.Count == 0)
            {
                if (attributes is not null)
                {
                    error.WriteLine("dashflow: table set needs --max-flows, --enabled-key or --ttl-ms");
                }

                return Task.FromResult(ExitCodes.Usage);
            }

            return AgentConnection.RunAsync(parse.GetValue(server)!, parse.GetValue(timeout), error, async (client, options) =>
            {
                foreach (var attribute in attributes)
                {
                    await client.SetFlowTableAttributeAsync(new Proto.ObjectSetRequest { Oid = oid, Attribute = attribute }, options).ResponseAsync.ConfigureAwait(false);
                }

                output.WriteLine($"updated 0x{oid:x}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }
}
