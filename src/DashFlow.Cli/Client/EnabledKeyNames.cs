using System.Globalization;
using DashFlow.Model;

namespace DashFlow.Cli.Client;

/// <summary>Reads and writes enabled-key masks as names: "all", or a comma list of eni_mac, vni, protocol, src_ip,
/// dst_ip, src_port, dst_port, or a number.</summary>
public static class EnabledKeyNames
{
    private static readonly (string Name, FlowEnabledKey Bit)[] s_names =
    [
        ("eni_mac", FlowEnabledKey.EniMac), ("vni", FlowEnabledKey.Vni), ("protocol", FlowEnabledKey.Protocol),
        ("src_ip", FlowEnabledKey.SrcIp), ("dst_ip", FlowEnabledKey.DstIp), ("src_port", FlowEnabledKey.SrcPort),
        ("dst_port", FlowEnabledKey.DstPort),
    ];

    /// <summary>Parses a mask; false with the offending word.</summary>
    public static bool TryParse(string text, out FlowEnabledKey key, out string bad)
    {
        key = FlowEnabledKey.None;
        bad = string.Empty;
        if (string.Equals(text, "all", StringComparison.OrdinalIgnoreCase))
        {
            key = FlowEnabledKey.All;
            return true;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int number))
        {
            key = (FlowEnabledKey)number;
            return true;
        }

        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int at = Array.FindIndex(s_names, n => string.Equals(n.Name, part, StringComparison.OrdinalIgnoreCase));
            if (at < 0)
            {
                bad = part;
                return false;
            }

            key |= s_names[at].Bit;
        }

        return true;
    }

    /// <summary>"all" or the comma list.</summary>
    public static string Format(int mask) => (FlowEnabledKey)mask == FlowEnabledKey.All
        ? "all"
        : string.Join(',', s_names.Where(n => (mask & (int)n.Bit) != 0).Select(n => n.Name));
}
