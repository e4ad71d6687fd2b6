using System.CommandLine;
using DashFlow.Cli.Client;
using DashFlow.Records;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Commands.Flow;

/// <summary><c>dashflow flow remove --table T KEY…</c>: removes an entry (and its linked reverse, D5).</summary>
public static class FlowRemoveCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var server = AgentConnection.ServerOption();
        var timeout = AgentConnection.TimeoutOption();
        var key = new FlowKeyOptions();
        var command = new Command("remove", "Remove a flow entry (a linked pair goes together).") { server, timeout };
        key.AddTo(command);
        command.SetAction((parse, cancellation) =>
        {
            if (key.ReadKey(parse, error) is not { } address)
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            return AgentConnection.RunAsync(parse.GetValue(server)!, parse.GetValue(timeout), error, async (client, options) =>
            {
                var entry = new Proto.FlowEntryAddress { FlowTableId = address.Table, Key = FlowRecordCodec.ToKeyMessage(address.Key) };
                await client.RemoveFlowEntryAsync(new Proto.FlowEntryRequest { Entry = entry }, options).ResponseAsync.ConfigureAwait(false);
                output.WriteLine($"removed {address.Key}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }
}
