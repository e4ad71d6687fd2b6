using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DashFlow.Model;

namespace DashFlow.Engine;

/// <summary>Per-record flags, kept in byte 46 of the record (the key's padding); bits 4–5 hold the direction.</summary>
[Flags]
internal enum FlowRecordFlags : byte
{
    None = 0,
    InUse = 1,
    Unidirectional = 2,
    Aged = 4,

    /// <summary>Created by D5 as the missing reverse of a bidirectional entry; an explicit create of its key may claim it.</summary>
    ImplicitReverse = 8,

    DirectionMask = 0x30,

    /// <summary>The record holds vendor metadata (so removal reads line 1 only when there is some to free).</summary>
    HasVendorMetadata = 0x40,
}

/// <summary>
/// The hot half of one flow, in the preallocated hot array: one 64-byte cache line with everything a data-plane hit
/// reads and refreshes, so lookups walk an array half the size of the whole table. <see cref="FlowRecordCold"/>, at the
/// same index in the cold array, holds what only scans and the control plane need.
/// </summary>
/// <remarks>
/// [0..45] key, 46 flags and direction, 47 sync state, 48 sequence (the seqlock of both halves: odd while a writer changes
/// the record), 52 actions, 56 last-seen time (the low 32 bits of the clock's ms: idle time is their wrapping difference),
/// 60 rewrite handle. A free record keeps the next free index in <see cref="NextFree"/>, over its dead key (never in
/// <see cref="LastSeen"/>, which a lookup racing with the removal may still refresh), and keeps its rewrite handle until
/// it is reused.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct FlowRecord
{
    public const int Size = 64;

    [FieldOffset(0)] public FlowKey Key;

    /// <summary>A free record's link to the next free one (its key is dead: only writers read a free record).</summary>
    [FieldOffset(0)] public int NextFree;
    [FieldOffset(46)] public FlowRecordFlags Flags;
    [FieldOffset(47)] public FlowSyncState SyncState;
    [FieldOffset(48)] public uint Sequence;
    [FieldOffset(52)] public FlowAction Actions;
    [FieldOffset(56)] public uint LastSeen;
    [FieldOffset(60)] public uint RewriteHandle;

    /// <summary>DASH_DIRECTION, packed into the flags byte.</summary>
    public FlowDirection Direction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        readonly get => (FlowDirection)(((byte)Flags >> 4) & 3);
        set => Flags = (Flags & ~FlowRecordFlags.DirectionMask) | (FlowRecordFlags)(((byte)value & 3) << 4);
    }
}

/// <summary>The cold half of one flow: [0..47] reverse key, 48 version, 52 meter class, 56 vendor-metadata handle.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct FlowRecordCold
{
    public const int Size = 64;

    [FieldOffset(0)] public FlowKey ReverseKey;
    [FieldOffset(48)] public uint Version;
    [FieldOffset(52)] public uint MeterClass;
    [FieldOffset(56)] public uint VendorHandle;
}
