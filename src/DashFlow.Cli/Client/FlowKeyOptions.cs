using System.CommandLine;
using DashFlow.Model;

namespace DashFlow.Cli.Client;

/// <summary>The key flags the flow commands share (D3): --table, --eni-mac, --vnet, --proto, --src-ip, --dst-ip, --src-port, --dst-port.</summary>
public sealed class FlowKeyOptions
{
    public Option<string> Table { get; } = new("--table") { Description = "The flow table's object id (0x… or decimal)." };

    public Option<string?> EniMac { get; } = new("--eni-mac") { Description = "ENI MAC, aa:bb:cc:dd:ee:ff." };

    public Option<ushort?> Vnet { get; } = new("--vnet") { Description = "VNET id." };

    public Option<byte?> Proto { get; } = new("--proto") { Description = "IP protocol number (6 TCP, 17 UDP, 1 ICMP)." };

    public Option<string?> SrcIp { get; } = new("--src-ip") { Description = "Source IP (list: also a prefix, e.g. 10.1.0.0/16)." };

    public Option<string?> DstIp { get; } = new("--dst-ip") { Description = "Destination IP (list: also a prefix)." };

    public Option<ushort?> SrcPort { get; } = new("--src-port") { Description = "Source L4 port (ICMP echo: the identifier)." };

    public Option<ushort?> DstPort { get; } = new("--dst-port") { Description = "Destination L4 port." };

    public void AddTo(Command command)
    {
        command.Options.Add(Table);
        command.Options.Add(EniMac);
        command.Options.Add(Vnet);
        command.Options.Add(Proto);
        command.Options.Add(SrcIp);
        command.Options.Add(DstIp);
        command.Options.Add(SrcPort);
        command.Options.Add(DstPort);
    }

    /// <summary>The complete key for create/get/remove; every field defaults to zero; null with a message when malformed.</summary>
    public (ulong Table, FlowKey Key)? ReadKey(ParseResult parse, TextWriter error)
    {
        if (parse.GetValue(Table) is not { } tableText || !TableOptions.TryParseId(tableText, out ulong table))
        {
            error.WriteLine("dashflow: --table: a flow table object id is required (see `dashflow table list`)");
            return null;
        }

        var mac = MacAddress.Zero;
        if (parse.GetValue(EniMac) is { } macText && !MacAddress.TryParse(macText, out mac))
        {
            error.WriteLine($"dashflow: --eni-mac: '{macText}' is not a MAC address (aa:bb:cc:dd:ee:ff)");
            return null;
        }

        if (!TryIp(parse.GetValue(SrcIp), "--src-ip", error, out var src) || !TryIp(parse.GetValue(DstIp), "--dst-ip", error, out var dst))
        {
            return null;
        }

        if (src.IsV6 != dst.IsV6 && !src.IsZero && !dst.IsZero)
        {
            error.WriteLine("dashflow: --src-ip and --dst-ip must be of one address family");
            return null;
        }

        if (src.IsZero && dst.IsV6)
        {
            src = IpAddress.AnyV6;
        }

        if (dst.IsZero && src.IsV6)
        {
            dst = IpAddress.AnyV6;
        }

        var key = new FlowKey(mac, parse.GetValue(Vnet) ?? 0, parse.GetValue(Proto) ?? 0, src, dst, parse.GetValue(SrcPort) ?? 0, parse.GetValue(DstPort) ?? 0);
        return (table, key);
    }

    private static bool TryIp(string? text, string option, TextWriter error, out IpAddress address)
    {
        address = IpAddress.AnyV4;
        if (text is null)
        {
            return true;
        }

        if (IpAddress.TryParse(text, out address))
        {
            return true;
        }

        error.WriteLine($"dashflow: {option}: '{text}' is not an IP address");
        return false;
    }
}
