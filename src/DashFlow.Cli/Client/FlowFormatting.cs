using DashFlow.Api;
using DashFlow.Model;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Client;

/// <summary>Human text for flow attributes: action and direction names, one attribute by id.</summary>
public static class FlowFormatting
{
    private static readonly (FlowAction Bit, string Name)[] s_actions =
    [
        (FlowAction.EncapU0, "ENCAP_U0"), (FlowAction.EncapU1, "ENCAP_U1"), (FlowAction.SetSmac, "SET_SMAC"), (FlowAction.SetDmac, "SET_DMAC"),
        (FlowAction.Snat, "SNAT"), (FlowAction.Dnat, "DNAT"), (FlowAction.Nat46, "NAT46"), (FlowAction.Nat64, "NAT64"),
        (FlowAction.SnatPort, "SNAT_PORT"), (FlowAction.DnatPort, "DNAT_PORT"),
    ];

    /// <summary>"ENCAP_U0|SET_DMAC", or "NONE".</summary>
    public static string Actions(int mask)
    {
        var names = s_actions.Where(a => (mask & (int)a.Bit) != 0).Select(a => a.Name).ToList();
        return names.Count == 0 ? "NONE" : string.Join('|', names);
    }

    /// <summary>Parses "encap_u0,set_dmac" (or '|'), or a number.</summary>
    public static bool TryParseActions(string text, out FlowAction actions)
    {
        actions = FlowAction.None;
        if (int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int number))
        {
            actions = (FlowAction)number;
            return true;
        }

        foreach (string part in text.Split([',', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int at = Array.FindIndex(s_actions, a => string.Equals(a.Name, part, StringComparison.OrdinalIgnoreCase));
            if (at < 0 && !string.Equals(part, "none", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            actions |= at < 0 ? FlowAction.None : s_actions[at].Bit;
        }

        return true;
    }

    /// <summary>OUTBOUND, INBOUND or INVALID.</summary>
    public static string Direction(int value) => (FlowDirection)value switch
    {
        FlowDirection.Outbound => "OUTBOUND",
        FlowDirection.Inbound => "INBOUND",
        _ => "INVALID",
    };

    /// <summary>The attribute with <paramref name="id"/> in a wire list, if present.</summary>
    public static Proto.SaiAttribute? Find(IEnumerable<Proto.SaiAttribute> attributes, uint id) => attributes.FirstOrDefault(a => a.Id == id);

    /// <summary>The sync-state name.</summary>
    public static string SyncState(int value) => (FlowSyncState)value switch
    {
        FlowSyncState.FlowMiss => "MISS",
        FlowSyncState.FlowCreated => "CREATED",
        FlowSyncState.FlowSynced => "SYNCED",
        FlowSyncState.FlowPendingDelete => "PENDING_DELETE",
        FlowSyncState.FlowPendingResimulation => "PENDING_RESIMULATION",
        _ => value.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The ids of every readable flow-entry attribute but FLOW_DATA_PB (0..28, 30..33).</summary>
    public static uint[] ReadableIds { get; } = [.. Enumerable.Range(0, (int)FlowEntryAttr.End).Select(i => (uint)i).Where(i => i != FlowEntryAttr.FlowDataPb)];
}
