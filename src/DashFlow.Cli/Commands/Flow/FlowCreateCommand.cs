using System.CommandLine;
using DashFlow.Api;
using DashFlow.Cli.Client;
using DashFlow.Model;
using DashFlow.Records;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Commands.Flow;

/// <summary>
/// <c>dashflow flow create --table T KEY… [--version V] [--direction outbound|inbound] [--actions a,b] [--unidirectional]
/// [--dst-mac M] [--u0-vni N --u0-sip A --u0-dip B]</c>: a bidirectional entry (the default) also gets its reverse (D5),
/// whose key is the swapped tuple.
/// </summary>
public static class FlowCreateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var server = AgentConnection.ServerOption();
        var timeout = AgentConnection.TimeoutOption();
        var key = new FlowKeyOptions();
        var version = new Option<uint>("--version") { Description = "VERSION." };
        var direction = new Option<string>("--direction") { Description = "outbound or inbound.", DefaultValueFactory = _ => "outbound" };
        var actions = new Option<string>("--actions") { Description = "Flow actions, e.g. encap_u0,set_dmac.", DefaultValueFactory = _ => "none" };
        var unidirectional = new Option<bool>("--unidirectional") { Description = "A unidirectional entry (no reverse is created)." };
        var dstMac = new Option<string?>("--dst-mac") { Description = "DST_MAC for SET_DMAC." };
        var vni = new Option<uint?>("--u0-vni") { Description = "UNDERLAY0_VNET_ID (VXLAN VNI)." };
        var sip = new Option<string?>("--u0-sip") { Description = "UNDERLAY0_SIP." };
        var dip = new Option<string?>("--u0-dip") { Description = "UNDERLAY0_DIP." };
        var command = new Command("create", "Create a flow entry.") { server, timeout, version, direction, actions, unidirectional, dstMac, vni, sip, dip };
        key.AddTo(command);
        command.SetAction((parse, cancellation) =>
        {
            if (key.ReadKey(parse, error) is not { } address)
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            var attributes = new List<Proto.SaiAttribute>
            {
                new() { Id = FlowEntryAttr.Version, U32 = parse.GetValue(version) },
                new() { Id = FlowEntryAttr.IsUnidirectionalFlow, BoolValue = parse.GetValue(unidirectional) },
            };
            var reverse = address.Key.Reversed();
            attributes.AddRange(
            [
                new() { Id = FlowEntryAttr.ReverseFlowEniMac, Mac = FlowRecordCodec.ToMacMessage(reverse.EniMac) },
                new() { Id = FlowEntryAttr.ReverseFlowVnetId, U32 = reverse.VnetId },
                new() { Id = FlowEntryAttr.ReverseFlowIpProto, U32 = reverse.IpProtocol },
                new() { Id = FlowEntryAttr.ReverseFlowSrcIp, Ip = FlowRecordCodec.ToIpMessage(reverse.SrcIp) },
                new() { Id = FlowEntryAttr.ReverseFlowDstIp, Ip = FlowRecordCodec.ToIpMessage(reverse.DstIp) },
                new() { Id = FlowEntryAttr.ReverseFlowSrcPort, U32 = reverse.SrcPort },
                new() { Id = FlowEntryAttr.ReverseFlowDstPort, U32 = reverse.DstPort },
            ]);
            var dir = parse.GetValue(direction)!.ToUpperInvariant() switch { "OUTBOUND" => FlowDirection.Outbound, "INBOUND" => FlowDirection.Inbound, _ => FlowDirection.Invalid };
            if (dir == FlowDirection.Invalid || !FlowFormatting.TryParseActions(parse.GetValue(actions)!, out var mask))
            {
                error.WriteLine("dashflow: --direction takes outbound or inbound; --actions a list of encap_u0, encap_u1, set_smac, set_dmac, snat, dnat, nat46, nat64, snat_port, dnat_port");
                return Task.FromResult(ExitCodes.Usage);
            }

            attributes.Add(new() { Id = FlowEntryAttr.DashDirection, S32 = (int)dir });
            attributes.Add(new() { Id = FlowEntryAttr.DashFlowAction, S32 = (int)mask });
            if (!AddMac(attributes, FlowEntryAttr.DstMac, parse.GetValue(dstMac), "--dst-mac", error)
                || !AddIp(attributes, FlowEntryAttr.Underlay0Sip, parse.GetValue(sip), "--u0-sip", error)
                || !AddIp(attributes, FlowEntryAttr.Underlay0Dip, parse.GetValue(dip), "--u0-dip", error))
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            if (parse.GetValue(vni) is { } u0Vni)
            {
                attributes.Add(new() { Id = FlowEntryAttr.Underlay0VnetId, U32 = u0Vni });
                attributes.Add(new() { Id = FlowEntryAttr.Underlay0DashEncapsulation, S32 = (int)DashEncapsulation.Vxlan });
            }

            return AgentConnection.RunAsync(parse.GetValue(server)!, parse.GetValue(timeout), error, async (client, options) =>
            {
                var request = new Proto.FlowEntryCreateRequest { Entry = new Proto.FlowEntryAddress { FlowTableId = address.Table, Key = FlowRecordCodec.ToKeyMessage(address.Key) } };
                request.Attributes.AddRange(attributes);
                await client.CreateFlowEntryAsync(request, options).ResponseAsync.ConfigureAwait(false);
                output.WriteLine($"created {address.Key}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static bool AddMac(List<Proto.SaiAttribute> attributes, uint id, string? text, string option, TextWriter error)
    {
        if (text is null)
        {
            return true;
        }

        if (!MacAddress.TryParse(text, out var mac))
        {
            error.WriteLine($"dashflow: {option}: '{text}' is not a MAC address");
            return false;
        }

        attributes.Add(new() { Id = id, Mac = FlowRecordCodec.ToMacMessage(mac) });
        return true;
    }

    private static bool AddIp(List<Proto.SaiAttribute> attributes, uint id, string? text, string option, TextWriter error)
    {
        if (text is null)
        {
            return true;
        }

        if (!IpAddress.TryParse(text, out var ip))
        {
            error.WriteLine($"dashflow: {option}: '{text}' is not an IP address");
            return false;
        }

        attributes.Add(new() { Id = id, Ip = FlowRecordCodec.ToIpMessage(ip) });
        return true;
    }
}
