using System.Runtime.CompilerServices;
using DashFlow.Model;

namespace DashFlow.Engine;

/// <summary>
/// Interned, reference-counted rewrite descriptors (underlay encaps and overlay rewrite). Flows that go to the same
/// destination share one descriptor, as a DPU shares its encap table, so a flow record holds a 4-byte handle instead of
/// about 250 bytes of addresses.
/// </summary>
/// <remarks>
/// Writers call <see cref="Acquire"/> and <see cref="Release"/> under the owning table's writer lock. Readers call
/// <see cref="Get"/> without a lock: a descriptor is immutable while any record holds its handle, and the record's seqlock
/// tells a reader whether the record (and so the handle) changed while it copied. Chunks are never moved or freed.
/// The interning index is a chained hash over the descriptor storage itself, compared by reference: a
/// <c>Dictionary&lt;FlowRewrite, uint&gt;</c> would copy the 250-byte key several times per lookup.
/// </remarks>
internal sealed class RewritePool
{
    private const int ChunkShift = 12;
    private const int ChunkSize = 1 << ChunkShift;
    private const int ChunkMask = ChunkSize - 1;

    private readonly FlowRewrite[]?[] _descriptors;
    private readonly Slot[]?[] _slots;
    private uint[] _buckets = new uint[256]; // chain heads: handle, 0 = empty
    private uint _freeHead;                  // free handles, linked through Slot.Next
    private uint _next = 1;                  // handle 0 means "no rewrite"

    public RewritePool(long maxDescriptors)
    {
        long chunks = (maxDescriptors + ChunkSize) / ChunkSize + 1;
        _descriptors = new FlowRewrite[]?[chunks];
        _slots = new Slot[]?[chunks];
    }

    /// <summary>Descriptors currently held by at least one record (a flow's, or a removed flow's until it is reused).</summary>
    public int Count { get; private set; }

    /// <summary>Returns the handle for <paramref name="rewrite"/>, interning it, and takes one reference.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public uint Acquire(in FlowRewrite rewrite)
    {
        if (RewriteComparer.IsDefault(in rewrite))
        {
            return 0;
        }

        uint hash = RewriteComparer.Hash(in rewrite);
        ref uint head = ref _buckets[hash & (uint)(_buckets.Length - 1)];
        for (uint h = head; h != 0; h = SlotOf(h).Next)
        {
            ref Slot slot = ref SlotOf(h);
            if (slot.Hash == hash && RewriteComparer.Same(in DescriptorOf(h), in rewrite))
            {
                slot.References++;
                return h;
            }
        }

        uint handle = _freeHead != 0 ? _freeHead : NewHandle();
        if (handle == _freeHead)
        {
            _freeHead = SlotOf(handle).Next;
        }

        DescriptorOf(handle) = rewrite;
        ref Slot created = ref SlotOf(handle);
        created = new Slot { Hash = hash, References = 1, Next = head };
        head = handle;
        if (++Count > _buckets.Length)
        {
            Rehash(_buckets.Length * 2);
        }

        return handle;
    }

    /// <summary>Drops one reference; the descriptor is freed when none is left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // every removal calls it; it almost always only decrements
    public void Release(uint handle)
    {
        if (handle != 0 && --SlotOf(handle).References == 0)
        {
            Free(handle);
        }
    }

    private void Free(uint handle)
    {
        ref Slot slot = ref SlotOf(handle);
        ref uint link = ref _buckets[slot.Hash & (uint)(_buckets.Length - 1)];
        while (link != handle)
        {
            link = ref SlotOf(link).Next;
        }

        link = slot.Next;
        slot.Next = _freeHead;
        _freeHead = handle;
        Count--;
    }

    /// <summary>The descriptor of a live handle (0 gives the default rewrite).</summary>
    public ref readonly FlowRewrite Get(uint handle)
    {
        if (handle == 0)
        {
            return ref DefaultRewrite.Value;
        }

        return ref _descriptors[handle >> ChunkShift]![handle & ChunkMask];
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private ref FlowRewrite DescriptorOf(uint handle) => ref _descriptors[handle >> ChunkShift]![handle & ChunkMask];

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private ref Slot SlotOf(uint handle) => ref _slots[handle >> ChunkShift]![handle & ChunkMask];

    private uint NewHandle()
    {
        uint handle = _next++;
        int chunk = (int)(handle >> ChunkShift);
        if (_descriptors[chunk] is null)
        {
            _slots[chunk] = new Slot[ChunkSize];
            Volatile.Write(ref _descriptors[chunk], new FlowRewrite[ChunkSize]);
        }

        return handle;
    }

    private void Rehash(int bucketCount)
    {
        var buckets = new uint[bucketCount];
        for (uint h = 1; h < _next; h++)
        {
            ref Slot slot = ref SlotOf(h);
            if (slot.References > 0)
            {
                ref uint head = ref buckets[slot.Hash & (uint)(bucketCount - 1)];
                slot.Next = head;
                head = h;
            }
        }

        _buckets = buckets;
    }

    /// <summary>Writer-side bookkeeping of one descriptor.</summary>
    private struct Slot
    {
        public uint Hash;
        public int References;
        public uint Next; // the chain while live, the free list while free
    }

    private static class DefaultRewrite
    {
        public static readonly FlowRewrite Value;
    }
}
