using DashFlow.Model;

namespace DashFlow.Engine;

/// <summary>The result of a data-plane lookup: the fixed part of the entry's state, copied consistently.</summary>
/// <remarks>The rewrite (encaps, overlay) is read on demand with <see cref="FlowTable.TryReadRewrite"/>, which checks
/// that the entry did not change since this hit was taken.</remarks>
public readonly struct FlowHit
{
    internal FlowHit(int recordIndex, uint sequence, in FlowRecord record)
    {
        RecordIndex = recordIndex;
        Sequence = sequence;
        Version = record.Version;
        MeterClass = record.MeterClass;
        Actions = record.Actions;
        Direction = record.Direction;
        SyncState = record.SyncState;
        Flags = record.Flags;
        RewriteHandle = record.RewriteHandle;
    }

    /// <summary>True when the lookup found an entry.</summary>
    public bool Found => (Flags & FlowRecordFlags.InUse) != 0;

    /// <summary>The entry's version.</summary>
    public uint Version { get; }

    /// <summary>The entry's meter class.</summary>
    public uint MeterClass { get; }

    /// <summary>The flow action bitmask.</summary>
    public FlowAction Actions { get; }

    /// <summary>The entry's direction.</summary>
    public FlowDirection Direction { get; }

    /// <summary>The entry's HA sync state.</summary>
    public FlowSyncState SyncState { get; }

    /// <summary>True for a unidirectional entry.</summary>
    public bool IsUnidirectional => (Flags & FlowRecordFlags.Unidirectional) != 0;

    /// <summary>True when the entry has been marked aged (it stays until the application removes it).</summary>
    public bool IsAged => (Flags & FlowRecordFlags.Aged) != 0;

    /// <summary>True when the entry carries a rewrite descriptor.</summary>
    public bool HasRewrite => RewriteHandle != 0;

    internal int RecordIndex { get; }

    internal uint Sequence { get; }

    internal FlowRecordFlags Flags { get; }

    internal uint RewriteHandle { get; }
}
