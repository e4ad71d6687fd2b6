using DashFlow.Model;

namespace DashFlow.Engine;

/// <summary>What a scan shows of an entry before it asks for the complete state: enough to evaluate every filter.</summary>
public readonly struct FlowEntryView
{
    internal FlowEntryView(in FlowRecord record, in FlowRecordCold cold, bool isAged)
    {
        Key = record.Key.WithoutPadding();
        Version = cold.Version;
        Actions = record.Actions;
        Direction = record.Direction;
        SyncState = record.SyncState;
        IsUnidirectional = (record.Flags & FlowRecordFlags.Unidirectional) != 0;
        IsAged = isAged;
    }

    /// <summary>The entry's key (masked by the table's enabled key).</summary>
    public readonly FlowKey Key;

    /// <summary>VERSION.</summary>
    public readonly uint Version;

    /// <summary>DASH_FLOW_ACTION.</summary>
    public readonly FlowAction Actions;

    /// <summary>DASH_DIRECTION.</summary>
    public readonly FlowDirection Direction;

    /// <summary>DASH_FLOW_SYNC_STATE.</summary>
    public readonly FlowSyncState SyncState;

    /// <summary>IS_UNIDIRECTIONAL_FLOW.</summary>
    public readonly bool IsUnidirectional;

    /// <summary>True when the entry is marked aged, or idle past the table's TTL now.</summary>
    public readonly bool IsAged;
}

/// <summary>Receives entries from <see cref="FlowTable.Scan{TVisitor}"/>.</summary>
public interface IFlowScanVisitor
{
    /// <summary>True when <see cref="Visit"/> needs the complete state (rewrite and vendor metadata).</summary>
    bool NeedsState { get; }

    /// <summary>A cheap pre-filter on the entry's view; false skips the entry.</summary>
    bool Accept(in FlowEntryView view);

    /// <summary>Called for each accepted entry; <paramref name="state"/> is default unless <see cref="NeedsState"/>.
    /// Returns false to stop the scan (an entry limit reached, a consumer gone).</summary>
    bool Visit(in FlowEntryView view, in FlowState state, ReadOnlySpan<byte> vendorMetadata);
}

/// <summary>A resumable position in a table's record array; start with <c>default</c>.</summary>
public struct FlowScanCursor
{
    internal int Next;

    /// <summary>True once the scan has passed the last record.</summary>
    public bool IsComplete { readonly get; internal set; }

    /// <summary>Records examined so far.</summary>
    public readonly long Position => Next;
}

/// <summary>Changes an entry's state in place under the table's writer lock (used by attribute set).</summary>
public interface IFlowEntryMutator
{
    /// <summary>Applies the change; a non-success status leaves the entry untouched.</summary>
    SaiStatus Mutate(ref FlowState state);

    /// <summary>True when the change replaces the vendor metadata with <see cref="VendorMetadata"/>.</summary>
    bool ReplacesVendorMetadata { get; }

    /// <summary>The new vendor metadata, when <see cref="ReplacesVendorMetadata"/>.</summary>
    ReadOnlySpan<byte> VendorMetadata { get; }
}
