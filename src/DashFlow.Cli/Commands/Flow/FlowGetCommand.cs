using System.CommandLine;
using DashFlow.Cli.Client;
using DashFlow.Records;
using DashFlow.Server.Services;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Commands.Flow;

/// <summary><c>dashflow flow get --table T KEY…</c>: every readable attribute of one entry, as a flow-dump JSON line.</summary>
public static class FlowGetCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var server = AgentConnection.ServerOption();
        var timeout = AgentConnection.TimeoutOption();
        var key = new FlowKeyOptions();
        var command = new Command("get", "Show one flow entry (SONiC flow-dump JSON).") { server, timeout };
        key.AddTo(command);
        command.SetAction((parse, cancellation) =>
        {
            if (key.ReadKey(parse, error) is not { } address)
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            return AgentConnection.RunAsync(parse.GetValue(server)!, parse.GetValue(timeout), error, async (client, options) =>
            {
                var request = new Proto.FlowEntryGetRequest { Entry = new Proto.FlowEntryAddress { FlowTableId = address.Table, Key = FlowRecordCodec.ToKeyMessage(address.Key) } };
                request.Ids.AddRange(FlowFormatting.ReadableIds);
                var reply = await client.GetFlowEntryAttributeAsync(request, options).ResponseAsync.ConfigureAwait(false);
                SaiStatusMapping.ThrowIfFailed(AttributeConverter.TryFromMessages(reply.Attributes, out var attributes), "get_flow_entry_attribute (reply)");
                output.WriteLine(FlowDumpFormat.ToLine(address.Key, attributes));
                return ExitCodes.Ok;
            });
        });
        return command;
    }
}
