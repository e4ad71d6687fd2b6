using DashFlow.Model;

namespace DashFlow.Api;

/// <summary>
/// What an implementation supports (DECK p28, D2). A partial implementation is configured by turning features off;
/// the Flow API then refuses what is denied with NOT_SUPPORTED.
/// </summary>
public sealed record FlowCapabilities
{
    /// <summary>MAX_FLOW_TABLE_COUNT.</summary>
    public uint MaxFlowTableCount { get; init; } = 64;

    /// <summary>MAX_FLOW_ENTRY_COUNT: the sum of every table's MAX_FLOW_COUNT.</summary>
    public uint MaxFlowEntryCount { get; init; } = 64 * 1024 * 1024;

    /// <summary>SUPPORTED_ENABLED_KEY: the key fields a table may enable.</summary>
    public FlowEnabledKey SupportedEnabledKey { get; init; } = FlowEnabledKey.All;

    /// <summary>BULK_GET_SESSION.</summary>
    public bool BulkGetSession { get; init; } = true;

    /// <summary>UNIDIRECTIONAL_FLOW_ENTRY.</summary>
    public bool UnidirectionalFlowEntry { get; init; } = true;

    /// <summary>FLOW_CREATE.</summary>
    public bool FlowCreate { get; init; } = true;

    /// <summary>FLOW_REMOVE.</summary>
    public bool FlowRemove { get; init; } = true;

    /// <summary>FLOW_SET.</summary>
    public bool FlowSet { get; init; } = true;

    /// <summary>FLOW_GET.</summary>
    public bool FlowGet { get; init; } = true;

    /// <summary>Everything supported (the default).</summary>
    public static FlowCapabilities Full { get; } = new();
}
