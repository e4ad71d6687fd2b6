using DashFlow.Model;

namespace DashFlow.Engine;

/// <summary>
/// Told of every successful change to a table's entries (HA inline sync hooks here), including the implicit reverse entry
/// of D5, partner removals and reclaims of aged entries. Called under the table's writer lock, in the table's change order,
/// so an implementation must only record the change (copy it into a queue) and return.
/// </summary>
public interface IFlowChangeObserver
{
    /// <summary>An entry was created (or an implicit reverse was claimed: then <paramref name="created"/> is false).</summary>
    void OnWritten(ulong tableId, in FlowKey key, in FlowState state, ReadOnlySpan<byte> vendorMetadata, bool created);

    /// <summary>An entry was removed; <paramref name="aged"/> when it was marked aged (an age-driven, "timed" delete).</summary>
    void OnRemoved(ulong tableId, in FlowKey key, uint version, bool aged);
}
