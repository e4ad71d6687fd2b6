using System.Runtime.InteropServices;
using DashFlow.Model;

namespace DashFlow.Engine;

/// <summary>Per-record flags, kept in byte 46 of the record (the key's padding).</summary>
[Flags]
internal enum FlowRecordFlags : byte
{
    None = 0,
    InUse = 1,
    Unidirectional = 2,
    Aged = 4,

    /// <summary>Created by D5 as the missing reverse of a bidirectional entry; an explicit create of its key may claim it.</summary>
    ImplicitReverse = 8,
}

/// <summary>
/// One flow in the preallocated record array: 128 bytes, two cache lines, no references.
/// </summary>
/// <remarks>
/// Layout: [0..47] key (46 = flags, 47 = sync state), [48..95] reverse key (94 = direction), 96 version, 100 meter class,
/// 104 actions, 108 rewrite handle, 112 vendor-metadata handle, 116 sequence (seqlock: odd while a writer changes the
/// record), 120 last-seen time in ms. A free record keeps the next free index in <see cref="Version"/>.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct FlowRecord
{
    public const int Size = 128;

    [FieldOffset(0)] public FlowKey Key;
    [FieldOffset(46)] public FlowRecordFlags Flags;
    [FieldOffset(47)] public FlowSyncState SyncState;
    [FieldOffset(48)] public FlowKey ReverseKey;
    [FieldOffset(94)] public FlowDirection Direction;
    [FieldOffset(96)] public uint Version;
    [FieldOffset(100)] public uint MeterClass;
    [FieldOffset(104)] public FlowAction Actions;
    [FieldOffset(108)] public uint RewriteHandle;
    [FieldOffset(112)] public uint VendorHandle;
    [FieldOffset(116)] public uint Sequence;
    [FieldOffset(120)] public long LastSeenMs;
}
