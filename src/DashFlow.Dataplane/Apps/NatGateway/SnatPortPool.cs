namespace DashFlow.Dataplane.Apps.NatGateway;

/// <summary>
/// The ports of one (EIP, protocol): a FIFO ring of free ports and an in-use bitmap, both arrays sized once, so allocating
/// and freeing are O(1) and allocate nothing. FIFO rather than LIFO so a freed port rests as long as possible before reuse
/// (a late packet of the old connection then finds no flow instead of the new one).
/// </summary>
/// <remarks>Single-threaded: the gateway calls it from the pipeline thread only.</remarks>
public sealed class SnatPortPool
{
    private readonly ushort[] _ring;
    private readonly ulong[] _inUse = new ulong[65536 / 64];
    private int _head;
    private int _free;

    /// <summary>A pool of the ports <paramref name="first"/>..<paramref name="last"/> except <paramref name="reserved"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="last"/> is below <paramref name="first"/>.</exception>
    public SnatPortPool(ushort first, ushort last, IEnumerable<ushort>? reserved = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(last, first);
        var excluded = new HashSet<ushort>(reserved ?? []);
        First = first;
        Last = last;
        _ring = new ushort[last - first + 1];
        for (int port = first; port <= last; port++)
        {
            if (!excluded.Contains((ushort)port))
            {
                _ring[_free++] = (ushort)port;
            }
        }

        Capacity = _free;
    }

    /// <summary>The first port of the range.</summary>
    public ushort First { get; }

    /// <summary>The last port of the range.</summary>
    public ushort Last { get; }

    /// <summary>The ports this pool can hand out (the range minus reserved ports).</summary>
    public int Capacity { get; }

    /// <summary>Ports free now.</summary>
    public int FreeCount => _free;

    /// <summary>Ports held now.</summary>
    public int InUseCount => Capacity - _free;

    /// <summary>Takes the free port that has rested longest; false when every port is in use.</summary>
    public bool TryAllocate(out ushort port)
    {
        if (_free == 0)
        {
            port = 0;
            return false;
        }

        port = _ring[_head];
        _head = _head + 1 == _ring.Length ? 0 : _head + 1;
        _free--;
        _inUse[port >> 6] |= 1UL << port;
        return true;
    }

    /// <summary>Returns a held port; false (and nothing changes) for a port that is not held, so a double free cannot
    /// hand one port to two connections.</summary>
    public bool Free(ushort port)
    {
        ulong bit = 1UL << port;
        if ((_inUse[port >> 6] & bit) == 0)
        {
            return false;
        }

        _inUse[port >> 6] &= ~bit;
        int tail = _head + _free;
        _ring[tail >= _ring.Length ? tail - _ring.Length : tail] = port;
        _free++;
        return true;
    }

    /// <summary>
    /// Marks ports that connections already hold (a gateway taking over a table its peer filled): they leave the free ring,
    /// which keeps the order of the rest. O(range + ports); ports already held, reserved or outside the range are skipped.
    /// </summary>
    /// <returns>The number of ports newly marked held.</returns>
    public int MarkHeld(IEnumerable<ushort> ports)
    {
        ArgumentNullException.ThrowIfNull(ports);
        var free = new ulong[65536 / 64];
        for (int i = 0; i < _free; i++)
        {
            ushort port = _ring[RingIndex(i)];
            free[port >> 6] |= 1UL << port;
        }

        int marked = 0;
        foreach (ushort port in ports)
        {
            ulong bit = 1UL << port;
            if ((free[port >> 6] & bit) != 0)
            {
                free[port >> 6] &= ~bit;
                _inUse[port >> 6] |= bit;
                marked++;
            }
        }

        if (marked > 0)
        {
            // Compact the free ring, in its current order, without the ports just marked held.
            var kept = new ushort[_ring.Length];
            int count = 0;
            for (int i = 0; i < _free; i++)
            {
                ushort port = _ring[RingIndex(i)];
                if (!IsInUse(port))
                {
                    kept[count++] = port;
                }
            }

            Array.Copy(kept, _ring, count);
            _head = 0;
            _free = count;
        }

        return marked;
    }

    /// <summary>True when the port is held by a connection.</summary>
    public bool IsInUse(ushort port) => (_inUse[port >> 6] & (1UL << port)) != 0;

    private int RingIndex(int offset) => _head + offset >= _ring.Length ? _head + offset - _ring.Length : _head + offset;
}
