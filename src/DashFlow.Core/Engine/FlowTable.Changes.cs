using DashFlow.Model;

namespace DashFlow.Engine;

// Change observation (HA inline sync) and the sync-state bookkeeping that must not be observed back.
public sealed unsafe partial class FlowTable
{
    private IFlowChangeObserver? _observer; // read under the writer lock only
    private ulong _observedId;

    /// <summary>Sets (or clears, with null) the observer told of every entry change, with the table id it reports.</summary>
    public void ObserveChanges(IFlowChangeObserver? observer, ulong tableId)
    {
        using (_writeLock.Enter())
        {
            _observer = observer;
            _observedId = tableId;
        }
    }

    /// <summary>
    /// Moves entries to <paramref name="syncState"/> when they still hold the version given beside each key (an HA ack
    /// names the version it acknowledged; a newer local change must stay CREATED). Not reported to the change observer:
    /// the sync state is each side's own bookkeeping.
    /// </summary>
    /// <returns>How many entries changed.</returns>
    public int SetSyncState(ReadOnlySpan<FlowKey> keys, ReadOnlySpan<uint> versions, FlowSyncState syncState)
    {
        int changed = 0;
        using (_writeLock.Enter())
        {
            ThrowIfDisposed();
            for (int i = 0; i < keys.Length; i++)
            {
                FlowKey masked = _mask.Apply(in keys[i]);
                int record = FindLocked(in masked, FlowKeyHash.Hash(in masked));
                if (record < 0 || Cold(record).Version != versions[i])
                {
                    continue;
                }

                ref FlowRecord r = ref Record(record);
                if (r.SyncState != syncState)
                {
                    uint sequence = r.Sequence;
                    BeginWrite(ref r, sequence);
                    r.SyncState = syncState;
                    EndWrite(ref r, sequence);
                    changed++;
                }
            }
        }

        return changed;
    }
}
