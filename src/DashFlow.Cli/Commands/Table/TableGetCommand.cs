using System.CommandLine;
using DashFlow.Api;
using DashFlow.Cli.Client;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Commands.Table;

/// <summary><c>dashflow table get --id OID</c>: the table's three attributes.</summary>
public static class TableGetCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var server = AgentConnection.ServerOption();
        var timeout = AgentConnection.TimeoutOption();
        var id = TableOptions.Id();
        var command = new Command("get", "Show a flow table's attributes.") { server, timeout, id };
        command.SetAction((parse, cancellation) =>
        {
            if (!TableOptions.TryReadId(parse.GetValue(id)!, error, out ulong oid))
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            return AgentConnection.RunAsync(parse.GetValue(server)!, parse.GetValue(timeout), error, async (client, options) =>
            {
                var request = new Proto.ObjectGetRequest { Oid = oid };
                request.Ids.AddRange([FlowTableAttr.MaxFlowCount, FlowTableAttr.DashFlowEnabledKey, FlowTableAttr.FlowTtlInMilliseconds]);
                var reply = await client.GetFlowTableAttributeAsync(request, options).ResponseAsync.ConfigureAwait(false);
                output.WriteLine($"table            0x{oid:x}");
                output.WriteLine($"max_flow_count   {reply.Attributes[0].U32}");
                output.WriteLine($"enabled_key      {EnabledKeyNames.Format(reply.Attributes[1].S32)}");
                output.WriteLine($"ttl_ms           {reply.Attributes[2].U32}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }
}
