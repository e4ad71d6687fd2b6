using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using System.Runtime.Intrinsics;
using DashFlow.Model;

namespace DashFlow.Engine;

// The index: a power-of-two array of 64-byte buckets. Slots 0..6 hold entries, slot 7 links an overflow bucket.
// Entry bit layout: [63..48] tag (high hash bits, bit 48 forced on so no tag is zero) | [31..0] record index + 1; 0 is an
// empty slot. Overflow link: index + 1.
public sealed unsafe partial class FlowTable
{
    private const int SlotsPerBucket = 7;
    private const int BucketWords = 8;
    private const int OverflowChunkShift = 12;
    private const int OverflowChunkBuckets = 1 << OverflowChunkShift;
    private const double TargetSlotLoad = 0.75;

    private NativeBlock _bucketBlock = null!;
    private ulong* _buckets;
    private ulong _bucketMask;
    private NativeBlock?[] _overflowChunks = [];
    private nint[] _overflowPointers = [];
    private int _overflowUsed;

    /// <summary>The number of home buckets (a power of two).</summary>
    internal long BucketCount => (long)_bucketMask + 1;

    /// <summary>The home bucket a (masked) key hashes to.</summary>
    internal long HomeBucketOf(in FlowKey key) => (long)(FlowKeyHash.Hash(in key) & _bucketMask);

    private void InitializeIndex(int capacity, bool commit)
    {
        ulong buckets = Math.Max(64UL, System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)Math.Ceiling(capacity / (SlotsPerBucket * TargetSlotLoad))));
        _bucketBlock = new NativeBlock((nuint)(buckets * 64), zeroed: true, commit);
        _buckets = (ulong*)_bucketBlock.Pointer;
        _bucketMask = buckets - 1;
        // Worst case every entry lands in overflow buckets; chunks are allocated only when needed.
        int maxChunks = (capacity / SlotsPerBucket / OverflowChunkBuckets) + 2;
        _overflowChunks = new NativeBlock?[maxChunks];
        _overflowPointers = new nint[maxChunks];
    }

    private void DisposeIndex()
    {
        _bucketBlock.Dispose();
        foreach (var chunk in _overflowChunks)
        {
            chunk?.Dispose();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong* HomeBucket(ulong hash) => _buckets + ((hash & _bucketMask) * BucketWords);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong* OverflowBucket(ulong link)
    {
        ulong index = link - 1;
        return (ulong*)Volatile.Read(ref Volatile.Read(ref _overflowPointers)[(int)(index >> OverflowChunkShift)]) + ((index & (OverflowChunkBuckets - 1)) * BucketWords);
    }

    private const ulong TagMask = 0xFFFF_0000_0000_0000UL;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Tag(ulong hash) => (hash & TagMask) | 0x0001_0000_0000_0000UL;

    /// <summary>A bit per slot 0..6 whose tag equals <paramref name="tag"/>: one 256-bit compare per half bucket instead of a
    /// branch per slot. An empty slot (0) never matches, because no tag is zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint MatchTags(ulong* bucket, ulong tag)
    {
        if (Vector256.IsHardwareAccelerated)
        {
            var mask = Vector256.Create(TagMask);
            var wanted = Vector256.Create(tag);
            uint low = Vector256.Equals(Vector256.Load(bucket) & mask, wanted).ExtractMostSignificantBits();
            uint high = Vector256.Equals(Vector256.Load(bucket + 4) & mask, wanted).ExtractMostSignificantBits();
            return (low | (high << 4)) & 0x7F;
        }

        uint matches = 0;
        for (int i = 0; i < SlotsPerBucket; i++)
        {
            if ((bucket[i] & TagMask) == tag)
            {
                matches |= 1u << i;
            }
        }

        return matches;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong MakeEntry(ulong hash, int recordIndex) => Tag(hash) | (uint)(recordIndex + 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(void* address)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(address);
        }
    }

    /// <summary>Finds the record of a (masked) key; writers only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int FindLocked(in FlowKey key, ulong hash)
    {
        ulong* slot = FindSlotLocked(in key, hash);
        return slot == null ? -1 : (int)(uint)*slot - 1;
    }

    /// <summary>Finds the index slot of a (masked) key, or null; writers only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong* FindSlotLocked(in FlowKey key, ulong hash)
    {
        ulong tag = Tag(hash);
        ulong* bucket = HomeBucket(hash);
        while (true)
        {
            for (uint matches = MatchTags(bucket, tag); matches != 0; matches &= matches - 1)
            {
                int i = BitOperations.TrailingZeroCount(matches);
                if (KeyMatches(in Record((int)(uint)bucket[i] - 1), in key))
                {
                    return bucket + i;
                }
            }

            ulong link = bucket[SlotsPerBucket];
            if (link == 0)
            {
                return null;
            }

            bucket = OverflowBucket(link);
        }
    }

    /// <summary>
    /// Finds an empty slot in the key's chain, linking a new (empty) overflow bucket when the chain is full; writers only.
    /// Called before the record is written, so an allocation failure leaves nothing half-published.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ulong* ReserveSlotLocked(ulong hash)
    {
        ulong* bucket = HomeBucket(hash);
        while (true)
        {
            for (int i = 0; i < SlotsPerBucket; i++)
            {
                if (bucket[i] == 0)
                {
                    return bucket + i;
                }
            }

            ulong link = bucket[SlotsPerBucket];
            if (link == 0)
            {
                link = AllocateOverflowBucketLocked();
                Volatile.Write(ref bucket[SlotsPerBucket], link); // an empty bucket is safe to publish: readers find nothing in it
            }

            bucket = OverflowBucket(link);
        }
    }

    /// <summary>Clears the index entry of a record; writers only.</summary>
    private void IndexRemoveLocked(ulong hash, int recordIndex)
    {
        ulong entry = MakeEntry(hash, recordIndex);
        ulong* bucket = HomeBucket(hash);
        while (true)
        {
            for (int i = 0; i < SlotsPerBucket; i++)
            {
                if (bucket[i] == entry)
                {
                    Volatile.Write(ref bucket[i], 0UL);
                    return;
                }
            }

            ulong link = bucket[SlotsPerBucket];
            if (link == 0)
            {
                throw new InvalidOperationException("Flow index is inconsistent: a live record has no index entry.");
            }

            bucket = OverflowBucket(link);
        }
    }

    /// <remarks>Overflow buckets stay linked once allocated (a chain keeps the longest length it ever needed), so under
    /// long churn their number can exceed what the live entries need: the chunk arrays grow instead of running out.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong AllocateOverflowBucketLocked()
    {
        int index = _overflowUsed;
        int chunk = index >> OverflowChunkShift;
        if (chunk >= _overflowChunks.Length)
        {
            int length = _overflowChunks.Length * 2;
            Array.Resize(ref _overflowChunks, length);
            var pointers = new nint[length];
            _overflowPointers.CopyTo(pointers, 0);
            Volatile.Write(ref _overflowPointers, pointers); // readers index whichever array they read; both hold every old chunk
        }

        _overflowUsed++;
        if (_overflowChunks[chunk] is null)
        {
            var block = new NativeBlock(OverflowChunkBuckets * 64, zeroed: true);
            _overflowChunks[chunk] = block;
            Volatile.Write(ref _overflowPointers[chunk], (nint)block.Pointer);
        }

        return (ulong)index + 1;
    }
}
