using DashFlow.Api;
using DashFlow.Model;

namespace DashFlow.Ha.Standby;

/// <summary>How a table is configured, so the standby can mirror the active's table under the same id.</summary>
/// <param name="MaxFlowCount">MAX_FLOW_COUNT.</param>
/// <param name="EnabledKey">DASH_FLOW_ENABLED_KEY.</param>
/// <param name="TtlMs">FLOW_TTL_IN_MILLISECONDS.</param>
public readonly record struct HaTableSpec(uint MaxFlowCount, FlowEnabledKey EnabledKey, uint TtlMs)
{
    /// <summary>The spec of an existing table of <paramref name="api"/>, or null when it is gone.</summary>
    public static HaTableSpec? Of(FlowApi api, FlowTableId id) =>
        api.TryGetTable(id, out var table) ? new HaTableSpec((uint)table.MaxFlowCount, table.EnabledKey, table.TtlMs) : null;

    /// <summary>The create_flow_table attributes.</summary>
    public SaiAttribute[] ToAttributes() =>
    [
        SaiAttribute.U32(FlowTableAttr.MaxFlowCount, MaxFlowCount),
        SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, (int)EnabledKey),
        SaiAttribute.U32(FlowTableAttr.FlowTtlInMilliseconds, TtlMs),
    ];
}
