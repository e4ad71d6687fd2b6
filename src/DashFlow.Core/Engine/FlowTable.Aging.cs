using DashFlow.Model;

namespace DashFlow.Engine;

// TTL aging (D6): entries idle past the TTL are marked aged in bounded slices; removal is the application's job.
public sealed unsafe partial class FlowTable
{
    private int _sweepCursor;
    private long _lastSweepMs;
    private int _jumpedRecordsLeft; // after a clock jump of 2^31 ms or more, the records one full pass still has to visit

    /// <summary>
    /// Examines up to <paramref name="maxRecords"/> records from where the last sweep stopped and marks the idle ones
    /// aged. A linked pair is marked only when both directions are idle, and then both are marked together. Holds the
    /// writer lock for the slice only; lookups never wait for it.
    /// </summary>
    /// <returns>The number of entries newly marked aged.</returns>
    public int SweepAging(int maxRecords)
    {
        if (!AgingEnabled || TtlMs == 0)
        {
            return 0;
        }

        using (_writeLock.Enter())
        {
            ThrowIfDisposed();
            int limit = _highWater;
            if (limit == 0)
            {
                return 0;
            }

            long now = Clock.NowMs;
            if (now - _lastSweepMs >= 1L << 31)
            {
                Volatile.Write(ref _jumpedRecordsLeft, limit); // 32-bit stamps cannot tell such idle times apart: a full pass ages all
            }

            _lastSweepMs = now;
            int marked = 0;
            int steps = Math.Min(maxRecords, limit);
            for (int step = 0; step < steps; step++)
            {
                int i = _sweepCursor;
                _sweepCursor = i + 1 >= limit ? 0 : i + 1;
                marked += MarkIfIdleLocked(i, now);
                if (_jumpedRecordsLeft > 0)
                {
                    Volatile.Write(ref _jumpedRecordsLeft, _jumpedRecordsLeft - 1);
                }
            }

            return marked;
        }
    }

    /// <summary>Sweeps the whole table once (tests, replay ticks, small tables).</summary>
    public int SweepAgingFully() => SweepAging(int.MaxValue);

    private int MarkIfIdleLocked(int index, long now)
    {
        ref FlowRecord r = ref Record(index);
        if ((r.Flags & (FlowRecordFlags.InUse | FlowRecordFlags.Aged)) != FlowRecordFlags.InUse || !IsExpired(in r, now))
        {
            return 0;
        }

        int partner = -1;
        if ((r.Flags & FlowRecordFlags.Unidirectional) == 0) // a zero reverse key may name the zero key's entry (D3 masks)
        {
            FlowKey reverse = Cold(index).ReverseKey.WithoutPadding();
            int candidate = FindLocked(in reverse, FlowKeyHash.Hash(in reverse));
            if (candidate >= 0 && candidate != index && IsLinkedTo(candidate, in r.Key))
            {
                ref FlowRecord p = ref Record(candidate);
                if ((p.Flags & FlowRecordFlags.Aged) == 0 && !IsExpired(in p, now))
                {
                    return 0; // the other direction is still active: the connection lives
                }

                partner = (p.Flags & FlowRecordFlags.Aged) == 0 ? candidate : -1;
            }
        }

        int marked = MarkAgedLocked(index);
        if (partner >= 0)
        {
            marked += MarkAgedLocked(partner);
        }

        return marked;
    }

    private int MarkAgedLocked(int index)
    {
        ref FlowRecord r = ref Record(index);
        uint sequence = r.Sequence;
        BeginWrite(ref r, sequence);
        r.Flags |= FlowRecordFlags.Aged;
        EndWrite(ref r, sequence);
        _agedCount++;
        _counters.Aged++;
        return 1;
    }
}
