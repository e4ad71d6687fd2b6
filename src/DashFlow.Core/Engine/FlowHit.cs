using System.Runtime.CompilerServices;
using DashFlow.Model;

namespace DashFlow.Engine;

/// <summary>The result of a data-plane lookup: what the record's first cache line holds, copied consistently.</summary>
/// <remarks>The rewrite (encaps, overlay) is read with <see cref="FlowTable.TryReadRewrite"/>, and version and meter
/// class with <see cref="FlowTable.TryReadDetails"/>; both check that the entry did not change since this hit.</remarks>
public readonly struct FlowHit
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal FlowHit(int recordIndex, uint sequence, in FlowRecord record)
    {
        RecordIndex = recordIndex;
        Sequence = sequence;
        Actions = record.Actions;
        SyncState = record.SyncState;
        Flags = record.Flags;
        RewriteHandle = record.RewriteHandle;
    }

    /// <summary>True when the lookup found an entry.</summary>
    public bool Found => (Flags & FlowRecordFlags.InUse) != 0;

    /// <summary>The flow action bitmask.</summary>
    public FlowAction Actions { get; }

    /// <summary>The entry's direction.</summary>
    public FlowDirection Direction => (FlowDirection)(((byte)Flags >> 4) & 3);

    /// <summary>The entry's HA sync state.</summary>
    public FlowSyncState SyncState { get; }

    /// <summary>True for a unidirectional entry.</summary>
    public bool IsUnidirectional => (Flags & FlowRecordFlags.Unidirectional) != 0;

    /// <summary>True when the entry has been marked aged (it stays until the application removes it).</summary>
    public bool IsAged => (Flags & FlowRecordFlags.Aged) != 0;

    internal int RecordIndex { get; }

    internal uint Sequence { get; }

    internal FlowRecordFlags Flags { get; }

    internal uint RewriteHandle { get; }
}

/// <summary>The rest of a hit's state: version, meter class and the rewrite descriptor.</summary>
public readonly record struct FlowHitDetails(uint Version, uint MeterClass, FlowRewrite Rewrite);
