using System.Runtime.CompilerServices;
using DashFlow.Model;

namespace DashFlow.Engine;

/// <summary>
/// A flow table: up to MAX_FLOW_COUNT entries in preallocated native memory, a bucketized index with tags, key masking
/// (D3), linked pairs (D5), TTL aging (D6) and resumable scans. No per-flow objects exist anywhere.
/// </summary>
/// <remarks>
/// Concurrency: creates, removes, sets and aging sweeps serialize on one writer lock. Data-plane lookups and scans take no
/// lock at all: they read index slots atomically and copy records under the record's seqlock, retrying when a writer
/// changed the record meanwhile. So lookups never wait for a scan, and a scan never blocks anyone.
/// </remarks>
public sealed unsafe partial class FlowTable : IDisposable
{
    /// <summary>The largest capacity a table accepts (record indexes are 31-bit).</summary>
    public const long MaxCapacity = 1L << 30;

    private readonly BiasedWriterLock _writeLock;
    private readonly FlowTableCounterSet _counters = new();
    private readonly RewritePool _rewrites;
    private readonly VendorDataPool _vendorData = new();
    private readonly NativeBlock _recordBlock;
    private readonly NativeBlock _coldBlock;
    private readonly FlowRecord* _records;
    private readonly FlowRecordCold* _cold;
    private readonly int _capacity;

    private FlowKeyMask _mask;
    private FlowEnabledKey _enabledKey;
    private long _maxFlowCount;
    private uint _ttlMs;
    private int _count;
    private int _highWater;     // records [0, _highWater) have been initialized at least once
    private int _freeHead = -1; // free records, linked through FlowRecord.NextFree
    private int _agedCount;     // live entries marked aged
    private bool _disposed;

    /// <summary>Creates a table with every record and the index allocated up front.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The capacity is not in 1..<see cref="MaxCapacity"/>.</exception>
    /// <exception cref="OutOfMemoryException">The machine cannot hold the table.</exception>
    public FlowTable(FlowTableOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Capacity, MaxCapacity);
        _writeLock = new BiasedWriterLock(biasable: options.BiasWriterLock);
        _capacity = (int)options.Capacity;
        _maxFlowCount = options.Capacity;
        _enabledKey = options.EnabledKey;
        _mask = FlowKeyMask.For(options.EnabledKey);
        _ttlMs = options.TtlMs;
        Clock = options.Clock ?? FlowClock.Wall();
        _lastSweepMs = Clock.NowMs;
        _rewrites = new RewritePool(_capacity);
        _recordBlock = new NativeBlock((nuint)_capacity * FlowRecord.Size, zeroed: false, commit: options.Commit);
        _records = (FlowRecord*)_recordBlock.Pointer;
        _coldBlock = new NativeBlock((nuint)_capacity * FlowRecordCold.Size, zeroed: false, commit: options.Commit);
        _cold = (FlowRecordCold*)_coldBlock.Pointer;
        InitializeIndex(_capacity, options.Commit);
    }

    /// <summary>The aging clock.</summary>
    public FlowClock Clock { get; }

    /// <summary>The number of records preallocated (the MAX_FLOW_COUNT given at creation).</summary>
    public long Capacity => _capacity;

    /// <summary>Live entries.</summary>
    public long Count => Volatile.Read(ref _count);

    /// <summary>Rewrite descriptors held by records, live or removed and not yet reused (for tests).</summary>
    internal int RewriteDescriptors
    {
        get
        {
            using (_writeLock.Enter())
            {
                return _rewrites.Count;
            }
        }
    }

    /// <summary>Live entries currently marked aged.</summary>
    public long AgedCount => Volatile.Read(ref _agedCount);

    /// <summary>A snapshot of the table's counters.</summary>
    public FlowTableCounters Counters => _counters.Snapshot();

    /// <summary>The enabled-key mask (D3).</summary>
    public FlowEnabledKey EnabledKey => _enabledKey;

    /// <summary>The idle TTL in milliseconds (0 = never age).</summary>
    public uint TtlMs
    {
        get => Volatile.Read(ref _ttlMs);
        set => Volatile.Write(ref _ttlMs, value);
    }

    /// <summary>When false (an HA standby) sweeps never mark entries aged: the active tells it what to remove.</summary>
    public bool AgingEnabled { get; set; } = true;

    /// <summary>The current entry limit: MAX_FLOW_COUNT, at most <see cref="Capacity"/>.</summary>
    public long MaxFlowCount => Volatile.Read(ref _maxFlowCount);

    /// <summary>Changes MAX_FLOW_COUNT; the limit can move within the preallocated capacity only.</summary>
    public bool TrySetMaxFlowCount(long maxFlowCount)
    {
        if (maxFlowCount < 1 || maxFlowCount > _capacity)
        {
            return false;
        }

        Volatile.Write(ref _maxFlowCount, maxFlowCount);
        return true;
    }

    /// <summary>Changes the enabled key; only an empty table can, because stored keys were masked with the old one.</summary>
    public bool TrySetEnabledKey(FlowEnabledKey enabledKey)
    {
        using (_writeLock.Enter())
        {
            if (_count != 0)
            {
                return false;
            }

            _enabledKey = enabledKey;
            _mask = FlowKeyMask.For(enabledKey);
            return true;
        }
    }

    /// <summary>The key as this table stores and matches it (disabled fields zeroed).</summary>
    public FlowKey MaskKey(in FlowKey key) => _mask.Apply(in key);

    /// <summary>Frees the table's native memory. No lookup may run on the table afterwards.</summary>
    public void Dispose()
    {
        using (_writeLock.Enter())
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _recordBlock.Dispose();
            _coldBlock.Dispose();
            DisposeIndex();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref FlowRecord Record(int index) => ref _records[index];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref FlowRecordCold Cold(int index) => ref _cold[index];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool KeyMatches(in FlowRecord record, in FlowKey key) => FlowKey.KeyEquals(in record.Key, in key);

    private static bool IsNoKey(in FlowKey key) =>
        (key.W0 | key.W1 | key.W2 | key.W3 | key.W4 | (key.W5 & FlowKey.LastWordKeyBits)) == 0;

    /// <summary>Idle past the TTL. The 32-bit difference is read as signed: a lookup may refresh the stamp past the "now"
    /// a scan or sweep read at the start of its slice, and that must read as fresh, not as 49 days idle. A clock that
    /// jumped 2^31 ms or more makes every entry count as idle for one full sweep pass (see <see cref="SweepAging"/>).</summary>
    private bool IsExpired(in FlowRecord record, long nowMs)
    {
        uint ttl = Volatile.Read(ref _ttlMs);
        if (ttl == 0)
        {
            return false;
        }

        int idle = unchecked((int)((uint)nowMs - Volatile.Read(ref Unsafe.AsRef(in record.LastSeen))));
        return Volatile.Read(ref _jumpedRecordsLeft) > 0 || (idle > 0 && (uint)idle >= ttl);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
