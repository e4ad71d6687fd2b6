using System.CommandLine;
using System.Globalization;
using DashFlow.Api;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Client;

/// <summary>The flow-table options the table commands share, and their conversion to attributes.</summary>
public static class TableOptions
{
    /// <summary>--id: a table object id, hex (0x…) or decimal.</summary>
    public static Option<string> Id() => new("--id") { Description = "The table's object id (0x… or decimal).", Required = true };

    public static Option<uint?> MaxFlows() => new("--max-flows") { Description = "MAX_FLOW_COUNT." };

    public static Option<string?> EnabledKey() => new("--enabled-key") { Description = "DASH_FLOW_ENABLED_KEY: all, or a list of eni_mac,vni,protocol,src_ip,dst_ip,src_port,dst_port." };

    public static Option<uint?> TtlMs() => new("--ttl-ms") { Description = "FLOW_TTL_IN_MILLISECONDS (0 = never age)." };

    /// <summary>Parses an object id.</summary>
    public static bool TryParseId(string text, out ulong id) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out id)
            : ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out id);

    /// <summary>Reads an --id option; false (with the message printed) when it is not an object id.</summary>
    public static bool TryReadId(string text, TextWriter error, out ulong id)
    {
        if (TryParseId(text, out id))
        {
            return true;
        }

        error.WriteLine($"dashflow: --id: '{text}' is not an object id");
        return false;
    }

    /// <summary>The attributes the given options set; null with a message when one is malformed.</summary>
    public static List<Proto.SaiAttribute>? Attributes(uint? maxFlows, string? enabledKey, uint? ttlMs, TextWriter error)
    {
        var attributes = new List<Proto.SaiAttribute>();
        if (maxFlows is { } max)
        {
            attributes.Add(new Proto.SaiAttribute { Id = FlowTableAttr.MaxFlowCount, U32 = max });
        }

        if (enabledKey is not null)
        {
            if (!EnabledKeyNames.TryParse(enabledKey, out var key, out string bad))
            {
                error.WriteLine($"dashflow: --enabled-key: '{bad}' is not a key field (eni_mac, vni, protocol, src_ip, dst_ip, src_port, dst_port, all)");
                return null;
            }

            attributes.Add(new Proto.SaiAttribute { Id = FlowTableAttr.DashFlowEnabledKey, S32 = (int)key });
        }

        if (ttlMs is { } ttl)
        {
            attributes.Add(new Proto.SaiAttribute { Id = FlowTableAttr.FlowTtlInMilliseconds, U32 = ttl });
        }

        return attributes;
    }
}
