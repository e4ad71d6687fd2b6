using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace DashFlow.Engine;

/// <summary>
/// Variable-size vendor metadata outside the fixed flow record: a slab allocator with power-of-two size classes over
/// pinned 64 KiB chunks, so metadata costs no per-flow object.
/// </summary>
/// <remarks>
/// A slot holds a 4-byte length then the bytes. Handle = class (top 5 bits) | slot index + 1. Writers allocate and free
/// under the owning table's writer lock; readers copy without a lock and rely on the record's seqlock, as for
/// <see cref="RewritePool"/>.
/// </remarks>
internal sealed class VendorDataPool
{
    /// <summary>The largest vendor metadata accepted, in bytes.</summary>
    public const int MaxLength = 4096 - sizeof(int);

    private const int MinClassShift = 4;   // 16-byte slots
    private const int ClassCount = 9;      // 16 B .. 4 KiB
    private const int ChunkBytes = 64 * 1024;
    private const int SlotBits = 27;

    private readonly SizeClass[] _classes = new SizeClass[ClassCount];

    public VendorDataPool()
    {
        for (int i = 0; i < ClassCount; i++)
        {
            _classes[i] = new SizeClass(1 << (MinClassShift + i));
        }
    }

    /// <summary>Bytes held by live metadata slots (for memory accounting).</summary>
    public long BytesInUse
    {
        get
        {
            long total = 0;
            foreach (var sizeClass in _classes)
            {
                total += (long)sizeClass.Live * sizeClass.SlotBytes;
            }

            return total;
        }
    }

    /// <summary>Stores <paramref name="data"/> and returns its handle (0 for empty data).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public uint Store(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return 0;
        }

        if (data.Length > MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(data), $"Vendor metadata is limited to {MaxLength} bytes.");
        }

        int classIndex = ClassFor(data.Length + sizeof(int));
        var sizeClass = _classes[classIndex];
        int slot = sizeClass.Allocate();
        var span = sizeClass.Slot(slot);
        BinaryPrimitives.WriteInt32LittleEndian(span, data.Length);
        data.CopyTo(span[sizeof(int)..]);
        return ((uint)classIndex << SlotBits) | (uint)(slot + 1);
    }

    /// <summary>Frees a handle returned by <see cref="Store"/>.</summary>
    public void Free(uint handle)
    {
        if (handle != 0)
        {
            _classes[handle >> SlotBits].Free((int)(handle & ((1u << SlotBits) - 1)) - 1);
        }
    }

    /// <summary>The stored bytes of a live handle (empty for 0).</summary>
    public ReadOnlySpan<byte> Read(uint handle)
    {
        if (handle == 0)
        {
            return default;
        }

        var span = _classes[handle >> SlotBits].Slot((int)(handle & ((1u << SlotBits) - 1)) - 1);
        int length = Math.Clamp(BinaryPrimitives.ReadInt32LittleEndian(span), 0, span.Length - sizeof(int));
        return span.Slice(sizeof(int), length);
    }

    private static int ClassFor(int bytes)
    {
        int shift = Math.Max(MinClassShift, 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)bytes - 1));
        return shift - MinClassShift;
    }

    private sealed class SizeClass(int slotBytes)
    {
        private readonly List<byte[]> _chunks = [];
        private readonly Stack<int> _free = new();
        private readonly int _slotsPerChunk = ChunkBytes / slotBytes;
        private byte[][] _published = [];
        private int _next;

        public int SlotBytes => slotBytes;

        public int Live { get; private set; }

        public int Allocate()
        {
            Live++;
            if (_free.Count > 0)
            {
                return _free.Pop();
            }

            int slot = _next++;
            if (slot / _slotsPerChunk >= _chunks.Count)
            {
                _chunks.Add(GC.AllocateUninitializedArray<byte>(ChunkBytes, pinned: true));
                Volatile.Write(ref _published, [.. _chunks]); // readers index a stable array
            }

            return slot;
        }

        public void Free(int slot)
        {
            Live--;
            _free.Push(slot);
        }

        public Span<byte> Slot(int slot) =>
            Volatile.Read(ref _published)[slot / _slotsPerChunk].AsSpan(slot % _slotsPerChunk * slotBytes, slotBytes);
    }
}
