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

    /// <summary>The flow actions entries may carry (no SAI attribute: the deck's nine capabilities do not cover actions).
    /// NAT46 and NAT64 are off: the data plane does not translate between address families, so creating or setting an
    /// entry with them answers NOT_SUPPORTED.</summary>
    public FlowAction SupportedFlowActions { get; init; } = FlowAction.All & ~(FlowAction.Nat46 | FlowAction.Nat64);

    /// <summary>True when every bit of <paramref name="actions"/> is in <see cref="SupportedFlowActions"/>.</summary>
    public bool SupportsActions(FlowAction actions) => (actions & ~SupportedFlowActions) == 0;

    /// <summary>Everything this implementation supports (the default).</summary>
    public static FlowCapabilities Full { get; } = new();

    /// <summary>Every value the schema allows, NAT46/NAT64 included: what record decoders check a record's format against.</summary>
    public static FlowCapabilities Schema { get; } = new() { SupportedFlowActions = FlowAction.All };
}
