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
/// One flow in the preallocated record array: 128 bytes, two cache lines, no references. A data-plane hit reads and
/// refreshes the first line only; the second holds what only actions, scans and the control plane need.
/// </summary>
/// <remarks>
/// Line 0: [0..45] key, 46 flags and direction, 47 sync state, 48 sequence (seqlock: odd while a writer changes the
/// record), 52 actions, 56 last-seen time (the low 32 bits of the clock's ms: idle time is their wrapping difference),
/// 60 rewrite handle. Line 1: [64..111] reverse key, 112 version, 116 meter class, 120 vendor-metadata handle.
/// A free record keeps the next free index in <see cref="RewriteHandle"/> (never in <see cref="LastSeen"/>, which a
/// lookup racing with the removal may still refresh).
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct FlowRecord
{
    public const int Size = 128;

    [FieldOffset(0)] public FlowKey Key;
    [FieldOffset(46)] public FlowRecordFlags Flags;
    [FieldOffset(47)] public FlowSyncState SyncState;
    [FieldOffset(48)] public uint Sequence;
    [FieldOffset(52)] public FlowAction Actions;
    [FieldOffset(56)] public uint LastSeen;
    [FieldOffset(60)] public uint RewriteHandle;
    [FieldOffset(64)] public FlowKey ReverseKey;
    [FieldOffset(112)] public uint Version;
    [FieldOffset(116)] public uint MeterClass;
    [FieldOffset(120)] public uint VendorHandle;

    /// <summary>DASH_DIRECTION, packed into the flags byte.</summary>
    public FlowDirection Direction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        readonly get => (FlowDirection)(((byte)Flags >> 4) & 3);
        set => Flags = (Flags & ~FlowRecordFlags.DirectionMask) | (FlowRecordFlags)(((byte)value & 3) << 4);
    }
}
