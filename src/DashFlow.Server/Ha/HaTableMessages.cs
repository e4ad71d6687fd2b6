using DashFlow.Ha.Standby;
using DashFlow.Model;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Ha;

/// <summary>A table's configuration on the wire (<c>HaTable</c>) and as the standby mirrors it (<see cref="HaTableSpec"/>).</summary>
internal static class HaTableMessages
{
    /// <summary>The spec a message names; an absent message gives the zero spec (the table must then exist already).</summary>
    public static HaTableSpec ToSpec(this Proto.HaTable? table) =>
        new(table?.MaxFlowCount ?? 0, (FlowEnabledKey)(table?.EnabledKey ?? 0), table?.TtlMs ?? 0);

    /// <summary>The message for a spec.</summary>
    public static Proto.HaTable ToMessage(this HaTableSpec spec) =>
        new() { MaxFlowCount = spec.MaxFlowCount, EnabledKey = (uint)spec.EnabledKey, TtlMs = spec.TtlMs };
}
