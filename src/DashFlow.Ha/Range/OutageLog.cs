using DashFlow.Model;

namespace DashFlow.Ha.Range;

/// <summary>One logged key: the outage epoch of its last change and the highest version deleted during the outage.</summary>
/// <param name="TableId">The table.</param>
/// <param name="Key">The key as the table reported it.</param>
/// <param name="Epoch">The <see cref="OutageLog.LocalVersion"/> its last change was logged under.</param>
/// <param name="Deleted">True when it was removed at least once during the outage.</param>
/// <param name="MaxDeletedVersion">The highest version removed during the outage (meaningful when <paramref name="Deleted"/>).</param>
public readonly record struct OutageEntry(ulong TableId, FlowKey Key, uint Epoch, bool Deleted, uint MaxDeletedVersion);

/// <summary>
/// Range sync bookkeeping of one node (spec §4.8): <c>LocalFlowVer</c>, <c>ToSyncFlowVerMin/Max</c>, and the keys created,
/// updated or removed while this node decided without its peer (the "impact"), deletions included. Flow versions are the
/// application's (D7), so the HA layer does not stamp them: the log tags each changed key with the outage epoch
/// (<see cref="LocalVersion"/>) it changed in instead, and [<see cref="Min"/>, <see cref="Max"/>] selects the keys a range
/// sync sends. Thread-safe (the tables call <see cref="Record"/> and <see cref="RecordRemoval"/> under their writer locks).
/// </summary>
/// <remarks>
/// <see cref="Baseline"/> names the copy the peer holds: the term of the pairing (this node active, the peer standby) the
/// outage interrupted, or 0 when the peer's copy is unknown (this node was not an active with a synced standby, or the
/// log overflowed), and then only a perfect sync is sound.
/// </remarks>
public sealed class OutageLog
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(ulong Table, FlowKey Key), (uint Epoch, bool Deleted, uint MaxDeleted)> _entries = [];
    private volatile bool _recording;
    private volatile bool _changed; // a change while recording without a baseline: only "not clean" matters, not the keys
    private ulong _baseline;
    private volatile bool _keyless = true; // no baseline: once changed, further changes need no lock

    /// <summary>A log holding at most <paramref name="capacity"/> keys; past that it overflows (a perfect sync follows).</summary>
    public OutageLog(int capacity = 1 << 20)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    /// <summary>Keys kept at most.</summary>
    public int Capacity { get; }

    /// <summary>True while changes are logged (the node decides without replicating).</summary>
    public bool Recording => _recording;

    /// <summary>LocalFlowVer: the current outage epoch.</summary>
    public uint LocalVersion { get; private set; }

    /// <summary>ToSyncFlowVerMin: the first epoch not yet synced to the peer (0: none).</summary>
    public uint Min { get; private set; }

    /// <summary>ToSyncFlowVerMax: the last epoch a range sync covers (0 until the impact ends).</summary>
    public uint Max { get; private set; }

    /// <summary>The pairing whose standby copy the log is relative to (0: unknown; only a perfect sync is sound).</summary>
    public ulong Baseline
    {
        get => _baseline;
        private set
        {
            _baseline = value;
            _keyless = value == 0;
        }
    }

    /// <summary>True when more than <see cref="Capacity"/> keys changed: the log no longer says what the peer misses.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>Keys logged.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>True when nothing was logged and nothing overflowed (this node's tables did not change on their own).</summary>
    public bool IsClean
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count == 0 && !Overflowed && !_changed;
            }
        }
    }

    /// <summary>
    /// The impact starts (the peer is lost while this node decides): ++LocalFlowVer, Min set if it is 0, changes logged from
    /// now. <paramref name="baseline"/> names the peer's copy when this starts a new range (Min was 0); an impact that
    /// continues an unsynced range keeps its baseline, and a 0 makes the range unusable.
    /// </summary>
    public void BeginImpact(ulong baseline)
    {
        lock (_lock)
        {
            LocalVersion++;
            if (Min == 0)
            {
                Min = LocalVersion;
                Baseline = baseline;
            }
            else if (baseline == 0)
            {
                Baseline = 0;
            }

            if (Baseline == 0)
            {
                _changed |= _entries.Count > 0;
                _entries.Clear(); // without a baseline the keys are of no use
            }

            _recording = true;
        }
    }

    /// <summary>The impact ends (the peer returns): Max = LocalFlowVer, then ++LocalFlowVer. Changes are still logged until
    /// <see cref="StopRecording"/> (the inline queue takes over).</summary>
    public void EndImpact()
    {
        lock (_lock)
        {
            if (Min != 0)
            {
                Max = LocalVersion;
            }

            LocalVersion++;
        }
    }

    /// <summary>Stops logging (inline sync covers every later change).</summary>
    public void StopRecording()
    {
        lock (_lock)
        {
            _recording = false;
        }
    }

    /// <summary>Makes the log unusable for a range sync (the peer's copy is no longer known) until it is reset.</summary>
    public void Invalidate()
    {
        lock (_lock)
        {
            Baseline = 0;
            _changed |= _entries.Count > 0;
            _entries.Clear();
        }
    }

    /// <summary>True when a range sync can bring a peer holding <paramref name="peerBaseline"/> up to date.</summary>
    public bool CanRangeSync(ulong peerBaseline)
    {
        lock (_lock)
        {
            return peerBaseline != 0 && Baseline == peerBaseline && !Overflowed && Min != 0 && Max >= Min;
        }
    }

    /// <summary>Logs a create or update of <paramref name="key"/> (while recording).</summary>
    /// <returns>True when the log took it (it was recording).</returns>
    public bool Record(ulong tableId, in FlowKey key) => Log(tableId, in key, removed: false, version: 0);

    /// <summary>Logs a removal of <paramref name="key"/> at <paramref name="version"/> (while recording).</summary>
    /// <returns>True when the log took it (it was recording).</returns>
    public bool RecordRemoval(ulong tableId, in FlowKey key, uint version) => Log(tableId, in key, removed: true, version);

    /// <summary>One change while recording: a create or update keeps the key's deletion history, a removal raises it.</summary>
    private bool Log(ulong tableId, in FlowKey key, bool removed, uint version)
    {
        if (!_recording)
        {
            return false;
        }

        if (_keyless && _changed)
        {
            return true;
        }

        lock (_lock)
        {
            if (!_recording)
            {
                return false; // stopped meanwhile: the inline queue has it (checked under the lock, as Take reads)
            }

            if (Baseline == 0)
            {
                _changed = true;
                return true;
            }

            var slot = (tableId, key);
            if (_entries.TryGetValue(slot, out var held))
            {
                _entries[slot] = removed
                    ? (LocalVersion, true, held.Deleted ? Math.Max(held.MaxDeleted, version) : version)
                    : (LocalVersion, held.Deleted, held.MaxDeleted);
            }
            else if (Admit())
            {
                _entries[slot] = (LocalVersion, removed, removed ? version : 0);
            }

            return true;
        }
    }

    /// <summary>Logs one change of the inline queue that the peer may not have received (the queue is reset when the peer is
    /// lost: what it held unacked is part of the range). Logged whether or not recording is on.</summary>
    public void Seed(ulong tableId, in FlowKey key, bool removed, uint version)
    {
        lock (_lock)
        {
            var slot = (tableId, key);
            bool known = _entries.TryGetValue(slot, out var held);
            if (!known && !Admit())
            {
                return;
            }

            bool deleted = held.Deleted || removed;
            uint maxDeleted = removed ? (held.Deleted ? Math.Max(held.MaxDeleted, version) : version) : held.MaxDeleted;
            _entries[slot] = (LocalVersion, deleted, maxDeleted);
        }
    }

    /// <summary>The keys a range sync sends, ordered by table: those last changed in an epoch from <see cref="Min"/> on.
    /// [Min, Max] are the outage epochs; a key logged after the impact ended (epoch Max + 1) changed before the inline queue
    /// took over, so no other sync carries it and the range includes it too.</summary>
    public List<OutageEntry> Take()
    {
        lock (_lock)
        {
            var result = new List<OutageEntry>(_entries.Count);
            foreach (var (slot, entry) in _entries)
            {
                if (Min != 0 && entry.Epoch >= Min)
                {
                    result.Add(new OutageEntry(slot.Table, slot.Key, entry.Epoch, entry.Deleted, entry.MaxDeleted));
                }
            }

            result.Sort((x, y) => x.TableId.CompareTo(y.TableId));
            return result;
        }
    }

    /// <summary>"Bulk sync completed": Min and Max back to 0, the synced keys forgotten, the baseline dropped.</summary>
    public void Completed()
    {
        lock (_lock)
        {
            _entries.Clear();
            Min = Max = 0;
            Baseline = 0;
            Overflowed = false;
            _changed = false;
            _recording = false;
        }
    }

    private bool Admit()
    {
        if (!Overflowed && _entries.Count < Capacity)
        {
            return true;
        }

        if (!Overflowed)
        {
            Overflowed = true;
            _entries.Clear(); // the keys no longer matter: a perfect sync follows
        }

        return false;
    }
}
