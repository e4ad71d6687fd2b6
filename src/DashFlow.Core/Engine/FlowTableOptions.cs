using DashFlow.Model;

namespace DashFlow.Engine;

/// <summary>How a <see cref="FlowTable"/> is sized and keyed.</summary>
/// <param name="Capacity">MAX_FLOW_COUNT at creation: records are preallocated for this many entries.</param>
/// <param name="EnabledKey">DASH_FLOW_ENABLED_KEY: the key fields matched; the others are zeroed (D3).</param>
/// <param name="TtlMs">FLOW_TTL_IN_MILLISECONDS: idle time after which an entry is marked aged (0 = never).</param>
/// <param name="Clock">The aging clock; a wall clock when null.</param>
/// <param name="Commit">Map every page of the records and the index at creation, as a DPU's fixed table is, so no insert
/// pays a page fault; false lets the OS map pages as entries first use them (small footprint for sparse tables).</param>
/// <param name="BiasWriterLock">Let the first writing thread take the writer lock without an atomic instruction until a
/// second thread writes (<see cref="BiasedWriterLock"/>), for a table one thread fills and empties. Off by default: with
/// it on, two full test runs showed HA divergences under churn; an HA inline-sync race found since fits them, but that
/// was not shown, so multi-writer tables keep the plain lock until a long run with the bias on says more.</param>
public sealed record FlowTableOptions(
    long Capacity,
    FlowEnabledKey EnabledKey = FlowEnabledKey.All,
    uint TtlMs = 0,
    FlowClock? Clock = null,
    bool Commit = true,
    bool BiasWriterLock = false);
