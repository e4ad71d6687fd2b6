using System.Runtime.CompilerServices;
using DashFlow.Model;
using Google.Protobuf;
using SaiDashFlowEntry = DashFlow.Protos.SaiDashFlowEntry;

namespace DashFlow.Records;

/// <summary>
/// A batch of flow records packed as a length-delimited stream of <c>SaiDashFlowEntry</c> messages (each a varint length,
/// then the message: protobuf's "delimited" form), written with <see cref="FlowRecordWriter"/> and read with
/// <see cref="FlowRecordCodec.TryDecode"/>. Bulk transfers carry it as one <c>bytes</c> field instead of one protobuf
/// object per flow, so neither end allocates per record.
/// </summary>
public sealed class FlowRecordBatch
{
    private byte[] _buffer;
    private ReadOnlyMemory<byte> _packed;
    private int _length;
    private readonly bool _readOnly;

    /// <summary>An empty, writable batch.</summary>
    public FlowRecordBatch(int capacityBytes = 64 * 1024)
    {
        _buffer = new byte[Math.Max(capacityBytes, 1024)];
    }

    private FlowRecordBatch(ReadOnlyMemory<byte> packed, int count)
    {
        _buffer = [];
        _packed = packed;
        _length = packed.Length;
        Count = count;
        _readOnly = true;
    }

    /// <summary>Records in the batch.</summary>
    public int Count { get; private set; }

    /// <summary>The packed bytes.</summary>
    public ReadOnlyMemory<byte> Packed => _readOnly ? _packed : _buffer.AsMemory(0, _length);

    /// <summary>A read-only view of packed bytes received from the wire (not copied; <paramref name="count"/> as announced).</summary>
    public static FlowRecordBatch FromPacked(ReadOnlyMemory<byte> packed, int count) => new(packed, count);

    /// <summary>A batch holding the given messages (for senders that already have objects).</summary>
    public static FlowRecordBatch FromMessages(IEnumerable<SaiDashFlowEntry> messages)
    {
        var batch = new FlowRecordBatch();
        foreach (var message in messages)
        {
            batch.Add(message);
        }

        return batch;
    }

    /// <summary>Appends one record.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(in FlowKey key, in FlowState state, ReadOnlySpan<byte> vendorMetadata)
    {
        int maxSize = FlowRecordWriter.MaxSize(vendorMetadata.Length);
        EnsureWritable(maxSize + 5);
        // The record goes in after room for the longest length it can have (2 bytes unless the vendor metadata is huge),
        // then moves back only if its length is shorter: a usual record (128 bytes to 16 KiB) is written in place.
        int reserved = maxSize < 0x4000 ? 2 : 3; // records stay under 2 MiB
        int start = _length + reserved;
        int size = FlowRecordWriter.Write(in key, in state, vendorMetadata, _buffer.AsSpan(start));
        int prefix = VarintSize((uint)size);
        if (prefix != reserved)
        {
            _buffer.AsSpan(start, size).CopyTo(_buffer.AsSpan(_length + prefix));
        }

        WriteVarint(_buffer.AsSpan(_length), (uint)size);
        _length += prefix + size;
        Count++;
    }

    /// <summary>Appends one record given as a message.</summary>
    public void Add(SaiDashFlowEntry message)
    {
        int size = message.CalculateSize();
        EnsureWritable(size + 5);
        _length += WriteVarint(_buffer.AsSpan(_length), (uint)size);
        message.WriteTo(_buffer.AsSpan(_length, size));
        _length += size;
        Count++;
    }

    /// <summary>Appends another batch's packed records.</summary>
    public void Append(FlowRecordBatch other)
    {
        var packed = other.Packed.Span;
        EnsureWritable(packed.Length);
        packed.CopyTo(_buffer.AsSpan(_length));
        _length += packed.Length;
        Count += other.Count;
    }

    /// <summary>Empties a writable batch, keeping its buffer.</summary>
    public void Clear()
    {
        _length = 0;
        Count = 0;
    }

    /// <summary>
    /// Decodes every record in order: a record that does not decode goes to <see cref="IFlowRecordVisitor.Refused"/> and
    /// the walk goes on (its length still frames it); broken framing ends the walk.
    /// </summary>
    /// <returns>SUCCESS; the status of the last record refused; or INVALID_PARAMETER for broken framing.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public SaiStatus ForEach<TVisitor>(ref TVisitor visitor)
        where TVisitor : struct, IFlowRecordVisitor
    {
        var packed = Packed.Span;
        int position = 0;
        var result = SaiStatus.Success;
        while (position < packed.Length)
        {
            if (!TryReadVarint(packed, ref position, out uint size) || size > packed.Length - position)
            {
                return SaiStatus.InvalidParameter;
            }

            var record = packed.Slice(position, (int)size);
            position += (int)size;
            var status = FlowRecordCodec.TryDecode(record, out var key, out var state, out var vendor);
            if (status != SaiStatus.Success)
            {
                visitor.Refused(status);
                result = status;
                continue;
            }

            visitor.Visit(in key, in state, vendor);
        }

        return result;
    }

    /// <summary>The records as messages (tests and consumers that want objects).</summary>
    public List<SaiDashFlowEntry> ToMessages()
    {
        var messages = new List<SaiDashFlowEntry>(Count);
        var packed = Packed.Span;
        int position = 0;
        while (position < packed.Length && TryReadVarint(packed, ref position, out uint size) && size <= packed.Length - position)
        {
            messages.Add(SaiDashFlowEntry.Parser.ParseFrom(packed.Slice(position, (int)size)));
            position += (int)size;
        }

        return messages;
    }

    private void EnsureWritable(int extra)
    {
        if (_readOnly)
        {
            throw new InvalidOperationException("A batch received from the wire is read-only.");
        }

        if (_length + extra > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + extra));
        }
    }

    private static int VarintSize(uint value) => value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : throw new ArgumentOutOfRangeException(nameof(value), "A flow record is under 2 MiB.");

    private static int WriteVarint(Span<byte> destination, uint value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> data, ref int position, out uint value)
    {
        value = 0;
        for (int shift = 0; shift < 32 && position < data.Length; shift += 7)
        {
            byte b = data[position++];
            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Receives the decoded records of a <see cref="FlowRecordBatch"/>.</summary>
public interface IFlowRecordVisitor
{
    /// <summary>One record; <paramref name="vendorMetadata"/> is valid during the call.</summary>
    void Visit(in FlowKey key, in FlowState state, byte[] vendorMetadata);

    /// <summary>A record that did not decode, in its place in the order (by default ignored).</summary>
    void Refused(SaiStatus status)
    {
    }
}
