using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using DashFlow.Model;

namespace DashFlow.Engine;

// Lock-free reads: data-plane lookups (single and batched) and consistent copies of complete entries.
public sealed unsafe partial class FlowTable
{
    private const int BatchGroup = 32;

    /// <summary>
    /// Data-plane lookup: finds the entry for a packet's key (masked here) and refreshes its idle time. Never blocks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryLookup(in FlowKey key, out FlowHit hit)
    {
        if (_enabledKey == FlowEnabledKey.All)
        {
            // Masking would only clear the two padding bytes, which the hash and the key compare ignore: skip the copy.
            return TryLookupMasked(in key, FlowKeyHash.Hash(in key), unchecked((uint)Clock.NowMs), out hit);
        }

        return TryLookupPartialKey(in key, out hit);
    }

    // Out of line, so the masked copy's stack slot is not zeroed on every lookup of a table that matches all keys.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryLookupPartialKey(in FlowKey key, out FlowHit hit)
    {
        FlowKey masked = _mask.Apply(in key);
        return TryLookupMasked(in masked, FlowKeyHash.Hash(in masked), unchecked((uint)Clock.NowMs), out hit);
    }

    /// <summary>
    /// Batched data-plane lookup: hashes and prefetches a group of keys' buckets, then their candidate records, so many
    /// cache misses are in flight at once. <paramref name="hits"/>[i] answers <paramref name="keys"/>[i].
    /// </summary>
    /// <returns>The number of keys found.</returns>
    [SkipLocalsInit] // the group buffers are written before they are read: zeroing them would cost more than a probe
    public int LookupBatch(ReadOnlySpan<FlowKey> keys, Span<FlowHit> hits)
    {
        if (hits.Length < keys.Length)
        {
            throw new ArgumentException("The hit span must be at least as long as the key span.", nameof(hits));
        }

        int found = 0;
        bool unmasked = _enabledKey == FlowEnabledKey.All; // as in TryLookup: no copy needed
        uint now = unchecked((uint)Clock.NowMs); // one clock read per batch: its keys arrived together
        Span<FlowKey> masked = stackalloc FlowKey[BatchGroup];
        ulong* hashes = stackalloc ulong[BatchGroup];
        int* candidates = stackalloc int[BatchGroup];
        for (int start = 0; start < keys.Length; start += BatchGroup)
        {
            int n = Math.Min(BatchGroup, keys.Length - start);
            scoped ReadOnlySpan<FlowKey> group = keys.Slice(start, n);
            if (!unmasked)
            {
                for (int i = 0; i < n; i++)
                {
                    masked[i] = _mask.Apply(in group[i]);
                }

                group = masked[..n];
            }

            found += LookupGroup(ref MemoryMarshal.GetReference(group), n, ref hits[start], now, hashes, candidates);
        }

        return found;
    }

    /// <summary>
    /// One group of a batched lookup (n ≤ <see cref="BatchGroup"/> masked keys): stage 1 hashes and prefetches every
    /// bucket, stage 2 prefetches each first candidate record and remembers it, stage 3 probes the remembered candidate
    /// and walks the chain only when it is not the key. Checked by the caller, so the stages index without bounds checks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int LookupGroup(ref FlowKey keys, int n, ref FlowHit hits, uint now, ulong* hashes, int* candidates)
    {
        for (int i = 0; i < n; i++)
        {
            ulong hash = FlowKeyHash.Hash(in Unsafe.Add(ref keys, i));
            hashes[i] = hash;
            Prefetch(HomeBucket(hash));
        }

        for (int i = 0; i < n; i++)
        {
            candidates[i] = PrefetchCandidate(hashes[i]);
        }

        int found = 0;
        for (int i = 0; i < n; i++)
        {
            ref FlowKey key = ref Unsafe.Add(ref keys, i);
            ref FlowHit hit = ref Unsafe.Add(ref hits, i);
            int candidate = candidates[i];
            if ((candidate >= 0 && ProbeRecord(candidate, in key, now, out hit) > 0) || TryLookupMasked(in key, hashes[i], now, out hit))
            {
                found++;
            }
        }

        return found;
    }

    /// <summary>
    /// Copies the rest of a hit's state (version, meter class, rewrite); false when the entry changed or went away since
    /// the hit, in which case the caller looks up again.
    /// </summary>
    public bool TryReadDetails(in FlowHit hit, out FlowHitDetails details)
    {
        ref FlowRecord r = ref Record(hit.RecordIndex);
        ref FlowRecordCold c = ref Cold(hit.RecordIndex);
        details = new FlowHitDetails(c.Version, c.MeterClass, _rewrites.Get(hit.RewriteHandle));
        LoadLoadBarrier();
        return Volatile.Read(ref r.Sequence) == hit.Sequence;
    }

    /// <summary>The rewrite of a hit alone (its handle is on the line the hit read); false when the entry changed since.</summary>
    public bool TryReadRewrite(in FlowHit hit, out FlowRewrite rewrite)
    {
        rewrite = _rewrites.Get(hit.RewriteHandle);
        LoadLoadBarrier();
        return Volatile.Read(ref Record(hit.RecordIndex).Sequence) == hit.Sequence;
    }

    /// <summary>The reverse key of a hit (REVERSE_FLOW_*, on the record's cold half); false when the entry changed since
    /// the hit, in which case the caller looks up again. Lock-free, for the pipeline's port rewrites and TCP close.</summary>
    public bool TryReadReverseKey(in FlowHit hit, out FlowKey reverseKey)
    {
        FlowKey copy = Cold(hit.RecordIndex).ReverseKey;
        LoadLoadBarrier();
        reverseKey = copy.WithoutPadding();
        return Volatile.Read(ref Record(hit.RecordIndex).Sequence) == hit.Sequence;
    }

    /// <summary>Reads a complete entry (control plane).</summary>
    /// <returns>SUCCESS or ITEM_NOT_FOUND.</returns>
    public SaiStatus Get(in FlowKey key, out FlowState state, out byte[] vendorMetadata)
    {
        FlowKey masked = _mask.Apply(in key);
        using (_writeLock.Enter())
        {
            ThrowIfDisposed();
            int record = FindLocked(in masked, FlowKeyHash.Hash(in masked));
            if (record < 0)
            {
                state = default;
                vendorMetadata = [];
                return SaiStatus.ItemNotFound;
            }

            state = ReadStateLocked(record);
            vendorMetadata = _vendorData.Read(VendorHandleOf(in Record(record), in Cold(record))).ToArray();
            return SaiStatus.Success;
        }
    }

    /// <summary>True when an entry with this key exists (control plane).</summary>
    public bool Contains(in FlowKey key) => Get(in key, out _, out _) == SaiStatus.Success;

    /// <summary>True when the entry exists and is marked aged.</summary>
    public bool IsMarkedAged(in FlowKey key)
    {
        FlowKey masked = _mask.Apply(in key);
        using (_writeLock.Enter())
        {
            int record = FindLocked(in masked, FlowKeyHash.Hash(in masked));
            return record >= 0 && (Record(record).Flags & FlowRecordFlags.Aged) != 0;
        }
    }

    private FlowState ReadStateLocked(int index)
    {
        ref FlowRecord r = ref Record(index);
        return ExpandState(in r, in Cold(index), in _rewrites.Get(r.RewriteHandle));
    }

    private static FlowState ExpandState(in FlowRecord r, in FlowRecordCold c, in FlowRewrite rewrite)
    {
        FlowKey reverse = c.ReverseKey.WithoutPadding();
        return new FlowState
        {
            Version = c.Version,
            Direction = r.Direction,
            Actions = r.Actions,
            MeterClass = c.MeterClass,
            IsUnidirectional = (r.Flags & FlowRecordFlags.Unidirectional) != 0,
            ReverseKey = reverse,
            Rewrite = rewrite,
            SyncState = r.SyncState,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryLookupMasked(in FlowKey key, ulong hash, uint now, out FlowHit hit)
    {
        int result = LookupOnce(in key, hash, now, out hit);
        return result >= 0 ? result != 0 : LookupWithRetries(in key, hash, now, out hit);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool LookupWithRetries(in FlowKey key, ulong hash, uint now, out FlowHit hit)
    {
        var spinner = default(SpinWait);
        while (true)
        {
            spinner.SpinOnce(); // a writer is mid-change on a candidate record: it holds it for a few stores only
            int result = LookupOnce(in key, hash, now, out hit);
            if (result >= 0)
            {
                return result != 0;
            }
        }
    }

    /// <summary>One probe: 1 hit, 0 miss, -1 a candidate record changed under us (retry).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int LookupOnce(in FlowKey key, ulong hash, uint now, out FlowHit hit)
    {
        ulong tag = Tag(hash);
        ulong* bucket = HomeBucket(hash);
        while (true)
        {
            for (uint matches = MatchTags(bucket, tag); matches != 0; matches &= matches - 1)
            {
                ulong entry = Volatile.Read(ref bucket[BitOperations.TrailingZeroCount(matches)]);
                if (entry != 0)
                {
                    int result = ProbeRecord((int)(uint)entry - 1, in key, now, out hit);
                    if (result != 0)
                    {
                        return result;
                    }
                }
            }

            ulong link = Volatile.Read(ref bucket[SlotsPerBucket]);
            if (link == 0)
            {
                hit = default;
                return 0;
            }

            bucket = OverflowBucket(link);
        }
    }

    /// <summary>Checks one candidate record: 1 it is the key's live entry (and is refreshed), 0 it is not, -1 it changed
    /// under us (retry).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int ProbeRecord(int index, in FlowKey key, uint now, out FlowHit hit)
    {
        ref FlowRecord r = ref Record(index);
        uint sequence = Volatile.Read(ref r.Sequence);
        if ((sequence & 1) != 0)
        {
            hit = default;
            return -1;
        }

        if (!KeyMatches(in r, in key))
        {
            hit = default;
            return 0;
        }

        hit = new FlowHit(index, sequence, in r);
        LoadLoadBarrier();
        if (Volatile.Read(ref r.Sequence) != sequence)
        {
            return -1;
        }

        if (!hit.Found)
        {
            return 0;
        }

        // Refresh on the line just read, and only when the stamp moves, so a hit rarely dirties memory.
        // A benign race: the worst case refreshes a record reused a moment ago.
        if (r.LastSeen != now)
        {
            r.LastSeen = now;
        }

        return 1;
    }

    /// <summary>Prefetches the record of the bucket's first tag match and returns its index, or -1 when no tag matches.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int PrefetchCandidate(ulong hash)
    {
        ulong* bucket = HomeBucket(hash);
        uint matches = MatchTags(bucket, Tag(hash));
        if (matches == 0)
        {
            return -1;
        }

        int index = (int)(uint)bucket[BitOperations.TrailingZeroCount(matches)] - 1;
        Prefetch(_records + index); // a hit reads the record's first line only
        return index;
    }

    /// <summary>Orders the data loads before the final sequence load (x86 never reorders loads; weaker CPUs need a fence).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadLoadBarrier()
    {
        if (!X86Base.IsSupported)
        {
            Interlocked.MemoryBarrier();
        }
    }
}
