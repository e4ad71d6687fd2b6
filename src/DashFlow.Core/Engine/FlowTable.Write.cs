using System.Runtime.CompilerServices;
using DashFlow.Model;

namespace DashFlow.Engine;

// Creates, removes and updates: every change happens under the writer lock and inside the record's seqlock.
public sealed unsafe partial class FlowTable
{
    /// <summary>
    /// Creates an entry (D3 masking, D5 pairing). A bidirectional entry whose reverse key names no entry also creates that
    /// reverse entry (opposite direction, no actions); an explicit create of such an implicit reverse, naming the forward
    /// as its reverse, claims it. A full table reclaims entries marked aged before refusing with TABLE_FULL (D6).
    /// </summary>
    /// <returns>SUCCESS, ITEM_ALREADY_EXISTS, TABLE_FULL, or INVALID_PARAMETER for oversize vendor metadata.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public SaiStatus Create(in FlowKey key, in FlowState state, ReadOnlySpan<byte> vendorMetadata = default)
    {
        if (vendorMetadata.Length > VendorDataPool.MaxLength)
        {
            return SaiStatus.InvalidParameter;
        }

        FlowKey masked = _mask.Apply(in key);
        FlowKey reverse = _mask.Apply(in state.ReverseKey);
        ulong hash = FlowKeyHash.Hash(in masked); // outside the lock: nothing to do with the table's state
        using (_writeLock.Enter())
        {
            ThrowIfDisposed();
            return CreateLocked(in masked, hash, in state, in reverse, vendorMetadata);
        }
    }

    /// <summary>Removes an entry and, when it is one of a linked pair (D5), its partner.</summary>
    /// <returns>SUCCESS or ITEM_NOT_FOUND.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // the masked key is written before it is read
    public SaiStatus Remove(in FlowKey key)
    {
        scoped ref readonly FlowKey k = ref key; // as in TryLookup: with every key field enabled, masking changes nothing
        FlowKey masked;
        if (_enabledKey != FlowEnabledKey.All)
        {
            masked = _mask.Apply(in key);
            k = ref masked;
        }

        ulong hash = FlowKeyHash.Hash(in k); // outside the lock: nothing to do with the table's state
        using (_writeLock.Enter())
        {
            ThrowIfDisposed();
            ulong* slot = FindSlotLocked(in k, hash);
            if (slot == null)
            {
                return SaiStatus.ItemNotFound;
            }

            RemoveWithPartnerLocked((int)(uint)*slot - 1, hash, slot);
            return SaiStatus.Success;
        }
    }

    /// <summary>Changes an entry's state with <paramref name="mutator"/>, atomically for readers.</summary>
    /// <returns>SUCCESS, ITEM_NOT_FOUND, or the mutator's refusal.</returns>
    public SaiStatus Update<TMutator>(in FlowKey key, ref TMutator mutator)
        where TMutator : struct, IFlowEntryMutator
    {
        FlowKey masked = _mask.Apply(in key);
        using (_writeLock.Enter())
        {
            ThrowIfDisposed();
            int record = FindLocked(in masked, FlowKeyHash.Hash(in masked));
            if (record < 0)
            {
                return SaiStatus.ItemNotFound;
            }

            FlowState state = ReadStateLocked(record);
            SaiStatus status = mutator.Mutate(ref state);
            if (status != SaiStatus.Success)
            {
                return status;
            }

            if (mutator.ReplacesVendorMetadata && mutator.VendorMetadata.Length > VendorDataPool.MaxLength)
            {
                return SaiStatus.InvalidParameter;
            }

            FlowKey reverse = _mask.Apply(in state.ReverseKey);
            ref FlowRecord r = ref Record(record);
            uint vendor = VendorHandleOf(in r, in Cold(record));
            uint oldVendor = 0;
            if (mutator.ReplacesVendorMetadata)
            {
                oldVendor = vendor;
                vendor = _vendorData.Store(mutator.VendorMetadata);
            }

            var flags = (r.Flags & (FlowRecordFlags.InUse | FlowRecordFlags.Aged)) | UnidirectionalFlag(in state);
            WriteRecordLocked(record, fresh: false, in masked, in state, in reverse, vendor, flags, r.LastSeen);
            _vendorData.Free(oldVendor);
            _counters.Updated++;
            _observer?.OnWritten(_observedId, in masked, in state, _vendorData.Read(vendor), created: false);
            return SaiStatus.Success;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private SaiStatus CreateLocked(in FlowKey key, ulong hash, in FlowState state, in FlowKey reverseKey, ReadOnlySpan<byte> vendorMetadata)
    {
        bool reclaimed = false;
        while (true)
        {
            int existing = FindLocked(in key, hash);
            if (existing >= 0)
            {
                ref FlowRecord current = ref Record(existing);
                bool claimsImplicitReverse = (current.Flags & FlowRecordFlags.ImplicitReverse) != 0
                    && !state.IsUnidirectional
                    && ReverseMatches(in Cold(existing), in reverseKey);
                if (!claimsImplicitReverse)
                {
                    _counters.CreateFailed++;
                    return SaiStatus.ItemAlreadyExists;
                }

                uint oldVendor = VendorHandleOf(in current, in Cold(existing));
                var flags = FlowRecordFlags.InUse | (current.Flags & FlowRecordFlags.Aged);
                WriteRecordLocked(existing, fresh: false, in key, in state, in reverseKey, _vendorData.Store(vendorMetadata), flags, Now32);
                _vendorData.Free(oldVendor);
                _observer?.OnWritten(_observedId, in key, in state, vendorMetadata, created: false);
                return SaiStatus.Success;
            }

            bool createsReverse = !state.IsUnidirectional
                && !IsNoKey(in reverseKey)
                && !reverseKey.Equals(key)
                && FindLocked(in reverseKey, FlowKeyHash.Hash(in reverseKey)) < 0;
            int needed = createsReverse ? 2 : 1;
            long limit = Math.Min(Volatile.Read(ref _maxFlowCount), _capacity);
            if (_count + needed > limit)
            {
                // Reclaiming may remove this entry's reverse, so the whole decision is taken again afterwards.
                if (!reclaimed && _agedCount > 0)
                {
                    ReclaimAgedLocked((int)(_count + needed - limit));
                    reclaimed = true;
                    continue;
                }

                _counters.TableFull++;
                _counters.CreateFailed++;
                return SaiStatus.TableFull;
            }

            uint now = Now32;
            InsertLocked(in key, hash, in state, in reverseKey, _vendorData.Store(vendorMetadata), FlowRecordFlags.InUse | UnidirectionalFlag(in state), now);
            _observer?.OnWritten(_observedId, in key, in state, vendorMetadata, created: true);
            if (createsReverse)
            {
                var reverse = new FlowState
                {
                    Version = state.Version,
                    Direction = Opposite(state.Direction),
                    SyncState = state.SyncState,
                    ReverseKey = key,
                };
                InsertLocked(in reverseKey, FlowKeyHash.Hash(in reverseKey), in reverse, in key, 0, FlowRecordFlags.InUse | FlowRecordFlags.ImplicitReverse, now);
                _observer?.OnWritten(_observedId, in reverseKey, in reverse, default, created: true);
            }

            _counters.Created += needed;
            return SaiStatus.Success;
        }
    }

    private static bool ReverseMatches(in FlowRecordCold record, in FlowKey key) => FlowKey.KeyEquals(in record.ReverseKey, in key);

    private static FlowDirection Opposite(FlowDirection direction) => direction switch
    {
        FlowDirection.Outbound => FlowDirection.Inbound,
        FlowDirection.Inbound => FlowDirection.Outbound,
        _ => direction,
    };

    private static FlowRecordFlags UnidirectionalFlag(in FlowState state) =>
        state.IsUnidirectional ? FlowRecordFlags.Unidirectional : FlowRecordFlags.None;

    private uint Now32 => unchecked((uint)Clock.NowMs);

    private static uint VendorHandleOf(in FlowRecord record, in FlowRecordCold cold) =>
        (record.Flags & FlowRecordFlags.HasVendorMetadata) != 0 ? cold.VendorHandle : 0;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void InsertLocked(in FlowKey key, ulong hash, in FlowState state, in FlowKey reverseKey, uint vendorHandle, FlowRecordFlags flags, uint now)
    {
        ulong* slot = ReserveSlotLocked(hash); // first: a failure here must not leave a written record outside the index
        int record;
        bool fresh;
        if (_freeHead >= 0)
        {
            record = _freeHead;
            _freeHead = Record(record).NextFree;
            fresh = false;
        }
        else
        {
            record = _highWater;
            fresh = true;
        }

        WriteRecordLocked(record, fresh, in key, in state, in reverseKey, vendorHandle, flags, now);
        if (fresh)
        {
            Volatile.Write(ref _highWater, record + 1); // scans see a record only once it is fully written
        }

        Volatile.Write(ref *slot, MakeEntry(hash, record));
        _count++;
    }

    /// <summary>Writes every field of a record inside its seqlock; releases the rewrite it replaces.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteRecordLocked(int index, bool fresh, in FlowKey key, in FlowState state, in FlowKey reverseKey, uint vendorHandle, FlowRecordFlags flags, uint lastSeen)
    {
        ref FlowRecord r = ref Record(index);
        uint sequence = fresh ? 0 : r.Sequence;
        uint oldRewrite = fresh ? 0 : r.RewriteHandle; // a live record's, or the one a removed record kept
        uint newRewrite = _rewrites.Acquire(in state.Rewrite);
        if (fresh)
        {
            r.Sequence = 1; // never published yet: no reader can reach it before the index entry, so no barrier
        }
        else
        {
            BeginWrite(ref r, sequence);
        }

        ref FlowRecordCold c = ref Cold(index);
        r.Key = key;
        c.ReverseKey = reverseKey;
        r.Flags = vendorHandle != 0 ? flags | FlowRecordFlags.HasVendorMetadata : flags;
        r.SyncState = state.SyncState;
        r.Direction = state.Direction;
        c.Version = state.Version;
        c.MeterClass = state.MeterClass;
        r.Actions = state.Actions;
        r.RewriteHandle = newRewrite;
        c.VendorHandle = vendorHandle;
        r.LastSeen = lastSeen;
        EndWrite(ref r, sequence);
        _rewrites.Release(oldRewrite); // after the record stopped naming it, so no reader can copy a reused descriptor
    }

    /// <summary>Makes the odd sequence visible before any field changes. x86 keeps stores in program order (TSO), and
    /// the JIT does not move stores across a volatile store, so only weaker CPUs need the fence, which would otherwise
    /// stop one operation's cache misses from overlapping the next one's.</summary>
    private static void BeginWrite(ref FlowRecord record, uint sequence)
    {
        Volatile.Write(ref record.Sequence, sequence + 1);
        if (!System.Runtime.Intrinsics.X86.X86Base.IsSupported)
        {
            Interlocked.MemoryBarrier();
        }
    }

    private static void EndWrite(ref FlowRecord record, uint sequence) => Volatile.Write(ref record.Sequence, sequence + 2);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RemoveWithPartnerLocked(int record, ulong hash, ulong* slot = null)
    {
        if ((Record(record).Flags & FlowRecordFlags.Unidirectional) == 0)
        {
            RemoveLinkedPartnerLocked(record);
        }

        // Removing the partner zeroes only the partner's slot, so this record's slot is still valid.
        RemoveRecordLocked(record, hash, slot);
    }

    /// <summary>Removes the partner of a bidirectional record when the two are linked (D5).</summary>
    private void RemoveLinkedPartnerLocked(int record)
    {
        // An all-zero reverse key is still a key (the zero key exists under partial masks): the pair test below decides,
        // so removing either side of a pair removes both (D5).
        FlowKey reverse = Cold(record).ReverseKey.WithoutPadding();
        ulong partnerHash = FlowKeyHash.Hash(in reverse);
        int partner = FindLocked(in reverse, partnerHash);
        if (partner >= 0 && partner != record && IsLinkedTo(partner, in Record(record).Key))
        {
            RemoveRecordLocked(partner, partnerHash);
        }
    }

    /// <summary>True when the record at <paramref name="partner"/> is bidirectional and names <paramref name="key"/> as its reverse.</summary>
    private bool IsLinkedTo(int partner, in FlowKey key)
    {
        ref FlowRecord p = ref Record(partner);
        FlowKey k = key.WithoutPadding();
        return (p.Flags & FlowRecordFlags.Unidirectional) == 0 && ReverseMatches(in Cold(partner), in k);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RemoveRecordLocked(int index, ulong hash, ulong* slot = null)
    {
        if (slot != null)
        {
            Volatile.Write(ref *slot, 0UL);
        }
        else
        {
            IndexRemoveLocked(hash, index);
        }

        ref FlowRecord r = ref Record(index);
        uint sequence = r.Sequence;
        uint vendor = VendorHandleOf(in r, in Cold(index));
        bool wasAged = (r.Flags & FlowRecordFlags.Aged) != 0;
        if (_observer is not null)
        {
            ReportRemovedLocked(index, wasAged);
        }

        BeginWrite(ref r, sequence);
        r.Flags = FlowRecordFlags.None;
        r.NextFree = _freeHead;
        EndWrite(ref r, sequence);
        _freeHead = index;
        // The rewrite handle is released when the record is reused, not here: its release is a chain of loads that wait
        // for this record's cache miss, and holding them in the window kept the next removal's misses from starting.
        _vendorData.Free(vendor);
        _count--;
        _counters.Removed++;
        if (wasAged)
        {
            _agedCount--;
        }
    }

    // Out of line, so a removal nobody observes does not zero the key copy's stack slot.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReportRemovedLocked(int index, bool wasAged)
    {
        FlowKey removedKey = Record(index).Key.WithoutPadding();
        _observer!.OnRemoved(_observedId, in removedKey, Cold(index).Version, wasAged);
    }

    private int _reclaimCursor;

    /// <summary>Removes entries marked aged (with their partners) until <paramref name="needed"/> records are free.</summary>
    private void ReclaimAgedLocked(int needed)
    {
        int freed = 0;
        int limit = _highWater;
        for (int step = 0; step < limit && freed < needed && _agedCount > 0; step++)
        {
            int i = _reclaimCursor;
            _reclaimCursor = i + 1 >= limit ? 0 : i + 1;
            ref FlowRecord r = ref Record(i);
            if ((r.Flags & (FlowRecordFlags.InUse | FlowRecordFlags.Aged)) == (FlowRecordFlags.InUse | FlowRecordFlags.Aged))
            {
                FlowKey key = r.Key.WithoutPadding();
                int before = _count;
                RemoveWithPartnerLocked(i, FlowKeyHash.Hash(in key));
                freed += before - _count;
                _counters.Reclaimed += before - _count;
            }
        }
    }
}
