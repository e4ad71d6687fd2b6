using System.CommandLine;
using DashFlow.Cli.Client;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Commands.Table;

/// <summary><c>dashflow table create --max-flows N [--enabled-key K] [--ttl-ms T]</c>: prints the new table's id.</summary>
public static class TableCreateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var server = AgentConnection.ServerOption();
        var timeout = AgentConnection.TimeoutOption();
        var maxFlows = TableOptions.MaxFlows();
        maxFlows.Required = true;
        var enabledKey = TableOptions.EnabledKey();
        var ttl = TableOptions.TtlMs();
        var command = new Command("create", "Create a flow table; prints its object id.") { server, timeout, maxFlows, enabledKey, ttl };
        command.SetAction((parse, cancellation) =>
        {
            var attributes = TableOptions.Attributes(parse.GetValue(maxFlows), parse.GetValue(enabledKey), parse.GetValue(ttl), error);
            if (attributes is null)
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            return AgentConnection.RunAsync(parse.GetValue(server)!, parse.GetValue(timeout), error, async (client, options) =>
            {
                var request = new Proto.ObjectCreateRequest();
                request.Attributes.AddRange(attributes);
                var reply = await client.CreateFlowTableAsync(request, options).ResponseAsync.ConfigureAwait(false);
                output.WriteLine($"0x{reply.Oid:x}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }
}
