using System.Buffers;
using DashFlow.Records;
using Google.Protobuf.Collections;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Services;

/// <summary>
/// One <c>FlowBatch</c> as the receiver reads it: the packed records sit in a rented buffer (a bulk sync sends thousands
/// of 100+ KiB batches, and a fresh array for each one costs an allocation, page faults and collections), the rest of the
/// message is parsed as usual. The packed records are valid until <see cref="Dispose"/>, which returns the buffer.
/// </summary>
public sealed class ReceivedFlowBatch : IDisposable
{
    private byte[]? _packed;
    private int _packedLength;

    internal ReceivedFlowBatch(ulong sessionId, Proto.FlowBatch? rest, byte[]? packed, int packedLength, uint packedCount)
    {
        SessionId = sessionId;
        Entries = rest?.Entries ?? [];
        Completion = rest?.Completion;
        _packed = packed;
        _packedLength = packedLength;
        PackedCount = packedCount;
    }

    /// <summary>session_id (1).</summary>
    public ulong SessionId { get; }

    /// <summary>entries (2): records sent one message each.</summary>
    public RepeatedField<Proto.SaiDashFlowEntry> Entries { get; }

    /// <summary>completion (3), on the last message only.</summary>
    public Proto.BulkGetCompletion? Completion { get; }

    /// <summary>packed_count (5): the records announced in packed_entries.</summary>
    public uint PackedCount { get; }

    /// <summary>packed_entries (4), empty when absent.</summary>
    public ReadOnlyMemory<byte> PackedEntries
    {
        get
        {
            ObjectDisposedException.ThrowIf(_packedLength > 0 && _packed is null, this);
            return _packed is null ? ReadOnlyMemory<byte>.Empty : _packed.AsMemory(0, _packedLength);
        }
    }

    /// <summary>The packed records as a batch (a view of the rented buffer: use it before <see cref="Dispose"/>).</summary>
    public FlowRecordBatch PackedBatch => FlowRecordBatch.FromPacked(PackedEntries, (int)PackedCount);

    /// <summary>Returns the packed records' buffer to the pool.</summary>
    public void Dispose()
    {
        if (_packed is { } packed)
        {
            _packed = null;
            ArrayPool<byte>.Shared.Return(packed);
        }
    }
}
