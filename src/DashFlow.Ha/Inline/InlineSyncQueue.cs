using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using DashFlow.Api;
using DashFlow.Engine;
using DashFlow.Model;
using DashFlow.Records;

namespace DashFlow.Ha.Inline;

/// <summary>
/// The active's inline sync queue: records every change of every table (as the tables' change observer), hands them to
/// the stream in sequence-numbered batches within a window of unacked changes, settles acks (moving acked flows CREATED
/// to SYNCED), and keeps what was not acked for a resend after the stream breaks.
/// </summary>
/// <remarks>
/// Sequence numbers are positions: [_head, _sent) are sent and unacked, [_sent, _tail) queued. All three and the ring are
/// guarded by <c>_lock</c>. The ring is a directory of fixed-size segments: a backlog grows it by adding segments (no
/// copy of the queued changes, which doubling a flat ring did under the lock), and segments the head leaves are reused. Lock order: a table's writer lock, then <c>_lock</c> (the observer is called under the former),
/// so nothing here calls into a table while holding <c>_lock</c>.
/// </remarks>
public sealed class InlineSyncQueue : IFlowChangeObserver
{
    private readonly Lock _lock = new();
    private readonly FlowApi _api;
    private readonly HaCounters _counters;
    private const int SegmentShift = 12;
    private const int SegmentSize = 1 << SegmentShift;
    private const int PooledSegments = 16;
    private FlowChange[][] _segments = [new FlowChange[SegmentSize]]; // slot (seq >> SegmentShift) & (length - 1)
    private readonly Stack<FlowChange[]> _freeSegments = new();
    private long _released; // segments below this index are returned (it follows _head >> SegmentShift)
    private long _head = 1, _sent = 1, _tail = 1;
    private volatile bool _enabled;
    private bool _overflowed;
    private TaskCompletionSource? _workWaiter;
    private TaskCompletionSource? _drainWaiter;
    private FlowChange[] _taken = []; // the sender's scratch: one sender takes batches at a time

    /// <summary>A queue for the tables of <paramref name="api"/>; it observes them once <see cref="Attach"/> is called.</summary>
    public InlineSyncQueue(FlowApi api, HaCounters counters)
    {
        _api = api;
        _counters = counters;
    }

    /// <summary>Changes queued or in flight beyond which the peer is dropped (it rejoins through a bulk sync).</summary>
    public int MaxQueued { get; init; } = 4 << 20;

    /// <summary>Unacked changes allowed in flight.</summary>
    public int Window { get; init; } = 64 * 1024;

    /// <summary>Raised (from a table's writer lock: hand it off, never block) when <see cref="MaxQueued"/> was passed.</summary>
    public event Action? Overflowed;

    /// <summary>Ack latencies (enqueue to ack), guarded by the queue; read with <see cref="ReadLatency"/>.</summary>
    private LatencyHistogram AckLatency { get; } = new();

    /// <summary>True while changes are recorded (the node replicates).</summary>
    public bool Enabled
    {
        get => _enabled;
        set => _enabled = value;
    }

    /// <summary>Changes queued or unacked.</summary>
    public long Pending
    {
        get
        {
            lock (_lock)
            {
                return _tail - _head;
            }
        }
    }

    /// <summary>Makes this queue the change observer of every table of the device.</summary>
    public void Attach() => _api.ChangeObserver = this;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per change; tiering is held back while the agent keeps JIT-compiling
    public void OnWritten(ulong tableId, in FlowKey key, in FlowState state, ReadOnlySpan<byte> vendorMetadata, bool created)
    {
        if (!_enabled)
        {
            return;
        }

        lock (_lock)
        {
            ref FlowChange change = ref Claim();
            if (Unsafe.IsNullRef(ref change))
            {
                return;
            }

            change.TableId = tableId;
            change.Key = key;
            change.State = state;
            change.VendorMetadata = vendorMetadata.IsEmpty ? null : vendorMetadata.ToArray();
            change.Op = created ? SyncOp.Create : SyncOp.Update;
            change.Timed = false;
        }
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per change; tiering is held back while the agent keeps JIT-compiling
    public void OnRemoved(ulong tableId, in FlowKey key, uint version, bool aged)
    {
        if (!_enabled)
        {
            return;
        }

        lock (_lock)
        {
            ref FlowChange change = ref Claim();
            if (Unsafe.IsNullRef(ref change))
            {
                return;
            }

            change.TableId = tableId;
            change.Key = key;
            change.State = new FlowState { Version = version };
            change.VendorMetadata = null;
            change.Op = SyncOp.Delete;
            change.Timed = aged;
        }
    }

    /// <summary>
    /// Moves up to <paramref name="max"/> queued changes of one table into <paramref name="records"/> (cleared first) and
    /// their ops into <paramref name="ops"/> (bit 7 = timed), within the window.
    /// </summary>
    /// <returns>How many; 0 when nothing is ready.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per change; tiering is held back while the agent keeps JIT-compiling
    public int TakeBatch(FlowRecordBatch records, Span<byte> ops, int max, out long firstSeq, out ulong tableId)
    {
        records.Clear();
        int taken = 0;
        int inline = 0, timed = 0;
        lock (_lock)
        {
            firstSeq = _sent;
            tableId = 0;
            long ready = Math.Min(Math.Min(_tail - _sent, Window - (_sent - _head)), Math.Min(max, ops.Length));
            if (_taken.Length < ready)
            {
                _taken = new FlowChange[ready];
            }

            // Copied out under the lock, encoded outside it: the application's changes wait only for the copy.
            for (; taken < ready; taken++)
            {
                ref FlowChange change = ref At(_sent + taken);
                if (taken == 0)
                {
                    tableId = change.TableId;
                }
                else if (change.TableId != tableId)
                {
                    break;
                }

                _taken[taken] = change;
            }

            _sent += taken;
        }

        for (int i = 0; i < taken; i++)
        {
            ref FlowChange change = ref _taken[i];
            records.Add(in change.Key, in change.State, change.VendorMetadata);
            ops[i] = (byte)((byte)change.Op | (change.Timed ? 0x80 : 0));
            timed += change.Timed ? 1 : 0;
            inline += change.Timed ? 0 : 1;
            change.VendorMetadata = null;
        }

        _counters.Sent(inline, timed);
        return taken;
    }

    /// <summary>Completes when a batch can be taken (changes queued and room in the window).</summary>
    public Task WaitForWorkAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_tail > _sent && _sent - _head < Window)
            {
                return Task.CompletedTask;
            }

            _workWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _workWaiter.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Settles the ack of the changes from <paramref name="firstSeq"/>, one result each. Acks come in order; a repeated
    /// ack (after a resend) settles nothing twice. Applied creates and updates become SYNCED on the active.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per change; tiering is held back while the agent keeps JIT-compiling
    public void Ack(long firstSeq, ReadOnlySpan<byte> results)
    {
        // Rented, not fields: a given-up stream's reader may still be settling an ack while the next stream's starts.
        var ackKeys = ArrayPool<FlowKey>.Shared.Rent(results.Length);
        var ackVersions = ArrayPool<uint>.Shared.Rent(results.Length);
        try
        {
            int marked = Settle(firstSeq, results, ackKeys, ackVersions, out ulong table);
            // Marked on the ack reader, outside _lock (the table's writer lock comes first in the lock order): no task per ack.
            if (marked > 0 && _api.TryGetTable(new FlowTableId(table), out var engine))
            {
                MarkSynced(engine, ackKeys.AsSpan(0, marked), ackVersions.AsSpan(0, marked));
            }
        }
        finally
        {
            ArrayPool<FlowKey>.Shared.Return(ackKeys);
            ArrayPool<uint>.Shared.Return(ackVersions);
        }
    }

    /// <summary>Moves the head past the acked changes and counts them; collects the applied creates and updates of the
    /// first table acked, to be marked SYNCED.</summary>
    /// <returns>How many changes were collected into <paramref name="ackKeys"/> and <paramref name="ackVersions"/>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Settle(long firstSeq, ReadOnlySpan<byte> results, FlowKey[] ackKeys, uint[] ackVersions, out ulong table)
    {
        int marked = 0;
        table = 0;
        long now = Stopwatch.GetTimestamp();
        lock (_lock)
        {
            if (firstSeq > _head)
            {
                return 0; // a gap cannot happen on one ordered stream: an ack of a stream already given up
            }

            int applied = 0, ignored = 0, failed = 0, timed = 0;
            long end = firstSeq + results.Length;

            for (long seq = _head; seq < end && seq < _sent; seq++)
            {
                ref FlowChange change = ref At(seq);
                var result = (SyncResult)results[(int)(seq - firstSeq)];
                AckLatency.Record(change.EnqueuedTicks, now);
                switch (result)
                {
                    case SyncResult.Applied:
                        applied++;
                        break;
                    case SyncResult.Failed:
                        failed++;
                        break;
                    default:
                        ignored++;
                        break;
                }

                timed += change.Timed ? 1 : 0;
                if (result == SyncResult.Applied && change.Op != SyncOp.Delete && (marked == 0 || table == change.TableId))
                {
                    table = change.TableId;
                    ackKeys[marked] = change.Key;
                    ackVersions[marked++] = change.State.Version;
                }

                change.VendorMetadata = null;
                _head = seq + 1;
            }

            ReleaseSegments();

            _counters.Acked(applied, ignored, failed, timed);
            WakeLocked();
            return marked;
        }
    }

    /// <summary>After the stream broke: everything unacked is sent again on the next stream.</summary>
    public void Rewind()
    {
        lock (_lock)
        {
            _sent = _head;
        }
    }

    /// <summary>Forgets every queued and unacked change (a bulk sync covers them).</summary>
    public void Reset()
    {
        lock (_lock)
        {
            for (long seq = _head; seq < _tail; seq++)
            {
                At(seq).VendorMetadata = null;
            }

            _head = _sent = _tail;
            ReleaseSegments();
            _overflowed = false;
            WakeLocked();
        }
    }

    /// <summary>Waits until every queued change is acked, or the timeout passes.</summary>
    /// <returns>True when drained.</returns>
    public async Task<bool> WaitDrainedAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_head == _tail)
                {
                    return true;
                }

                _drainWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _drainWaiter.Task;
            }

            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            await Task.WhenAny(wait, Task.Delay(left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100), cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The ack latency percentiles in milliseconds (p50, p99) and the sample count; optionally clears them.</summary>
    public (double P50, double P99, long Samples) ReadLatency(bool clear = false)
    {
        lock (_lock)
        {
            var result = (AckLatency.Percentile(0.50), AckLatency.Percentile(0.99), AckLatency.Count);
            if (clear)
            {
                AckLatency.Clear();
            }

            return result;
        }
    }

    /// <summary>Hands every queued or unacked change to <paramref name="log"/> (before a <see cref="Reset"/> when the peer is
    /// lost: those are changes it may not have).</summary>
    public void SeedPending(Range.OutageLog log)
    {
        lock (_lock)
        {
            for (long seq = _head; seq < _tail; seq++)
            {
                ref FlowChange change = ref At(seq);
                log.Seed(change.TableId, in change.Key, change.Op == SyncOp.Delete, change.State.Version);
            }
        }
    }

    private static void MarkSynced(FlowTable table, ReadOnlySpan<FlowKey> keys, ReadOnlySpan<uint> versions)
    {
        try
        {
            table.SetSyncState(keys, versions, FlowSyncState.FlowSynced);
        }
        catch (ObjectDisposedException)
        {
            // The table went away after the ack: nothing to mark.
        }
    }

    /// <summary>The next free slot, stamped with its enqueue time; a null ref when the queue overflowed.</summary>
    private ref FlowChange Claim()
    {
        if (_overflowed)
        {
            return ref Unsafe.NullRef<FlowChange>();
        }

        if (_tail - _head >= MaxQueued)
        {
            _overflowed = true;
            Overflowed?.Invoke();
            return ref Unsafe.NullRef<FlowChange>();
        }

        if ((_tail & (SegmentSize - 1)) == 0)
        {
            AddSegment();
        }

        ref FlowChange change = ref At(_tail);
        change.EnqueuedTicks = Stopwatch.GetTimestamp();
        _tail++;
        if (_workWaiter is { } waiter && _sent - _head < Window)
        {
            _workWaiter = null;
            waiter.TrySetResult();
        }

        return ref change;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref FlowChange At(long seq) =>
        ref _segments[(seq >> SegmentShift) & (_segments.Length - 1)][seq & (SegmentSize - 1)];

    /// <summary>Gives <c>_tail</c> (at a segment boundary) its segment, doubling the directory when it is full.</summary>
    private void AddSegment()
    {
        long first = _head >> SegmentShift, index = _tail >> SegmentShift;
        if (index - first >= _segments.Length)
        {
            var larger = new FlowChange[_segments.Length * 2][];
            for (long k = first; k < index; k++)
            {
                larger[k & (larger.Length - 1)] = _segments[k & (_segments.Length - 1)];
            }

            _segments = larger;
        }

        // Live segments [first, index) hold other slots; released ones were cleared, so this slot is free.
        _segments[index & (_segments.Length - 1)] = _freeSegments.TryPop(out var reused) ? reused : new FlowChange[SegmentSize];
    }

    /// <summary>Returns the segments wholly behind <c>_head</c> to the pool (a few kept, the rest left to the GC).</summary>
    private void ReleaseSegments()
    {
        long first = _head >> SegmentShift;
        while (_released < first)
        {
            ref FlowChange[] slot = ref _segments[_released & (_segments.Length - 1)];
            if (slot is not null && _freeSegments.Count < PooledSegments)
            {
                _freeSegments.Push(slot);
            }

            slot = null!;
            _released++;
        }
    }

    private void WakeLocked()
    {
        if (_workWaiter is { } work && _tail > _sent && _sent - _head < Window)
        {
            _workWaiter = null;
            work.TrySetResult();
        }

        if (_sent < _head)
        {
            _sent = _head;
        }

        if (_drainWaiter is { } drain && _head == _tail)
        {
            _drainWaiter = null;
            drain.TrySetResult();
        }
    }
}
