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
/// </remarks>
internal sealed class RewritePool
{
    private const int ChunkShift = 12;
    private const int ChunkSize = 1 << ChunkShift;
    private const int ChunkMask = ChunkSize - 1;

    private readonly FlowRewrite[]?[] _descriptors;
    private readonly int[]?[] _refCounts;
    private readonly Dictionary<FlowRewrite, uint> _byValue = new(RewriteComparer.Instance);
    private readonly Stack<uint> _free = new();
    private uint _next = 1; // handle 0 means "no rewrite"

    public RewritePool(long maxDescriptors)
    {
        long chunks = (maxDescriptors + ChunkSize) / ChunkSize + 1;
        _descriptors = new FlowRewrite[]?[chunks];
        _refCounts = new int[]?[chunks];
    }

    /// <summary>Descriptors currently held by at least one flow.</summary>
    public int Count => _byValue.Count;

    /// <summary>Returns the handle for <paramref name="rewrite"/>, interning it, and takes one reference.</summary>
    public uint Acquire(in FlowRewrite rewrite)
    {
        if (RewriteComparer.Instance.Equals(rewrite, default))
        {
            return 0;
        }

        if (_byValue.TryGetValue(rewrite, out uint handle))
        {
            _refCounts[handle >> ChunkShift]![handle & ChunkMask]++;
            return handle;
        }

        handle = _free.Count > 0 ? _free.Pop() : NewHandle();
        int chunk = (int)(handle >> ChunkShift);
        _descriptors[chunk]![handle & ChunkMask] = rewrite;
        _refCounts[chunk]![handle & ChunkMask] = 1;
        _byValue.Add(rewrite, handle);
        return handle;
    }

    /// <summary>Drops one reference; the descriptor is freed when none is left.</summary>
    public void Release(uint handle)
    {
        if (handle == 0)
        {
            return;
        }

        int chunk = (int)(handle >> ChunkShift);
        if (--_refCounts[chunk]![handle & ChunkMask] == 0)
        {
            _byValue.Remove(_descriptors[chunk]![handle & ChunkMask]);
            _free.Push(handle);
        }
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

    private uint NewHandle()
    {
        uint handle = _next++;
        int chunk = (int)(handle >> ChunkShift);
        if (_descriptors[chunk] is null)
        {
            _refCounts[chunk] = new int[ChunkSize];
            Volatile.Write(ref _descriptors[chunk], new FlowRewrite[ChunkSize]);
        }

        return handle;
    }

    private static class DefaultRewrite
    {
        public static readonly FlowRewrite Value;
    }
}
