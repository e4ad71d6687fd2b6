using System.CommandLine;
using DashFlow.Api;
using DashFlow.Cli.Client;
using DashFlow.Model;
using DashFlow.Records;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Commands.Flow;

/// <summary>
/// <c>dashflow flow set --table T KEY… [--version V] [--direction D] [--actions A] [--unidirectional true|false]
/// [--dst-mac M] [--u0-dip A] [--sync-state S]</c>: one set_flow_entry_attribute call per option given, in that order.
/// </summary>
public static class FlowSetCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var server = AgentConnection.ServerOption();
        var timeout = AgentConnection.TimeoutOption();
        var key = new FlowKeyOptions();
        var version = new Option<uint?>("--version") { Description = "VERSION." };
        var direction = new Option<string?>("--direction") { Description = "outbound or inbound." };
        var actions = new Option<string?>("--actions") { Description = "Flow actions, e.g. encap_u0,set_dmac (none clears them)." };
        var unidirectional = new Option<bool?>("--unidirectional") { Description = "true unlinks the entry from its pair (D5)." };
        var dstMac = new Option<string?>("--dst-mac") { Description = "DST_MAC." };
        var dip = new Option<string?>("--u0-dip") { Description = "UNDERLAY0_DIP." };
        var sync = new Option<string?>("--sync-state") { Description = "miss, created, synced, pending_delete or pending_resimulation." };
        var command = new Command("set", "Change attributes of a flow entry.") { server, timeout, version, direction, actions, unidirectional, dstMac, dip, sync };
        key.AddTo(command);
        command.SetAction((parse, cancellation) =>
        {
            if (key.ReadKey(parse, error) is not { } address)
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            var attributes = new List<Proto.SaiAttribute>();
            if (parse.GetValue(version) is { } v)
            {
                attributes.Add(new() { Id = FlowEntryAttr.Version, U32 = v });
            }

            if (parse.GetValue(direction) is { } d)
            {
                var value = d.ToUpperInvariant() switch { "OUTBOUND" => FlowDirection.Outbound, "INBOUND" => FlowDirection.Inbound, _ => FlowDirection.Invalid };
                if (value == FlowDirection.Invalid)
                {
                    error.WriteLine($"dashflow: --direction: '{d}' is not outbound or inbound");
                    return Task.FromResult(ExitCodes.Usage);
                }

                attributes.Add(new() { Id = FlowEntryAttr.DashDirection, S32 = (int)value });
            }

            if (parse.GetValue(actions) is { } a)
            {
                if (!FlowFormatting.TryParseActions(a, out var mask))
                {
                    error.WriteLine($"dashflow: --actions: '{a}' names an unknown action");
                    return Task.FromResult(ExitCodes.Usage);
                }

                attributes.Add(new() { Id = FlowEntryAttr.DashFlowAction, S32 = (int)mask });
            }

            if (parse.GetValue(unidirectional) is { } u)
            {
                attributes.Add(new() { Id = FlowEntryAttr.IsUnidirectionalFlow, BoolValue = u });
            }

            if (parse.GetValue(dstMac) is { } macText)
            {
                if (!MacAddress.TryParse(macText, out var mac))
                {
                    error.WriteLine($"dashflow: --dst-mac: '{macText}' is not a MAC address");
                    return Task.FromResult(ExitCodes.Usage);
                }

                attributes.Add(new() { Id = FlowEntryAttr.DstMac, Mac = FlowRecordCodec.ToMacMessage(mac) });
            }

            if (parse.GetValue(dip) is { } ipText)
            {
                if (!IpAddress.TryParse(ipText, out var ip))
                {
                    error.WriteLine($"dashflow: --u0-dip: '{ipText}' is not an IP address");
                    return Task.FromResult(ExitCodes.Usage);
                }

                attributes.Add(new() { Id = FlowEntryAttr.Underlay0Dip, Ip = FlowRecordCodec.ToIpMessage(ip) });
            }

            if (parse.GetValue(sync) is { } s)
            {
                int state = Array.IndexOf(["miss", "created", "synced", "pending_delete", "pending_resimulation"], s.ToLowerInvariant());
                if (state < 0)
                {
                    error.WriteLine($"dashflow: --sync-state: '{s}' is not miss, created, synced, pending_delete or pending_resimulation");
                    return Task.FromResult(ExitCodes.Usage);
                }

                attributes.Add(new() { Id = FlowEntryAttr.DashFlowSyncState, S32 = state });
            }

            if (attributes.Count == 0)
            {
                error.WriteLine("dashflow: flow set needs at least one attribute option (--version, --direction, --actions, …)");
                return Task.FromResult(ExitCodes.Usage);
            }

            return AgentConnection.RunAsync(parse.GetValue(server)!, parse.GetValue(timeout), error, async (client, options) =>
            {
                var entry = new Proto.FlowEntryAddress { FlowTableId = address.Table, Key = FlowRecordCodec.ToKeyMessage(address.Key) };
                foreach (var attribute in attributes)
                {
                    await client.SetFlowEntryAttributeAsync(new Proto.FlowEntrySetRequest { Entry = entry, Attribute = attribute }, options).ResponseAsync.ConfigureAwait(false);
                }

                output.WriteLine($"updated {address.Key}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }
}
