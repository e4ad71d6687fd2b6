using System.CommandLine;
using System.Text.Json;
using DashFlow.Cli.Client;
using Spectre.Console;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Commands.Caps;

/// <summary><c>dashflow caps</c>: the agent's nine capability attributes (D2) and the supported flow actions.</summary>
public static class CapsCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var server = AgentConnection.ServerOption();
        var timeout = AgentConnection.TimeoutOption();
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("caps", "Show what the agent's Flow API supports.") { server, timeout, json };
        command.SetAction((parse, cancellation) => AgentConnection.RunAsync(parse.GetValue(server)!, parse.GetValue(timeout), error, async (client, options) =>
        {
            var reply = await client.GetCapabilitiesAsync(new Proto.Empty(), options).ResponseAsync.ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(reply.Capabilities.ToDictionary(c => c.Name, c => ValueText(c))));
                return ExitCodes.Ok;
            }

            var table = new Spectre.Console.Table().AddColumn("capability").AddColumn("id").AddColumn("value");
            foreach (var capability in reply.Capabilities)
            {
                table.AddRow(Markup.Escape(capability.Name), $"0x{capability.Id:x8}", Markup.Escape(ValueText(capability)));
            }

            ConsoleOutput.For(output).Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>A capability value as text (bool, number, the enabled-key names, or the flow-action names).</summary>
    public static string ValueText(Proto.Capability capability) => capability.Id == Api.SwitchCapabilityAttr.SupportedFlowAction
        ? FlowFormatting.Actions(capability.Value.S32)
        : ValueText(capability.Value);

    private static string ValueText(Proto.SaiAttribute value) => value.ValueCase switch
    {
        Proto.SaiAttribute.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        Proto.SaiAttribute.ValueOneofCase.U32 => value.U32.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Proto.SaiAttribute.ValueOneofCase.S32 => EnabledKeyNames.Format(value.S32),
        _ => value.ToString(),
    };
}
