using System.Runtime.CompilerServices;
using DashFlow.Model;

namespace DashFlow.Engine;

// Batched creates: the bulk loaders' path (packed-record creates, HA bulk sync). Same rules as Create, fewer lock
// acquisitions, and the index buckets of a group fetched from memory together instead of one miss after another.
public sealed unsafe partial class FlowTable
{
    private const int CreateGroup = 32;

    /// <summary>
    /// Creates <paramref name="keys"/>[i] with <paramref name="states"/>[i], in order, each exactly as
    /// <see cref="Create"/> would (same status, pairing, reclaiming and observer calls), taking the writer lock once per
    /// group of entries and prefetching the group's index buckets. Other writers may run between two groups.
    /// </summary>
    /// <param name="keys">The entries' keys.</param>
    /// <param name="states">The entries' states, one per key.</param>
    /// <param name="vendorMetadata">One vendor metadata per key (null or empty for none), or an empty span for none at all.</param>
    /// <param name="stopOnError">Stop after the first entry that does not succeed.</param>
    /// <param name="statuses">Receives each attempted entry's status.</param>
    /// <returns>The entries attempted: all of them, or with <paramref name="stopOnError"/> up to and including the first failure.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int CreateBatch(ReadOnlySpan<FlowKey> keys, ReadOnlySpan<FlowState> states, ReadOnlySpan<byte[]> vendorMetadata, bool stopOnError, Span<SaiStatus> statuses)
    {
        if (states.Length != keys.Length || statuses.Length < keys.Length || (!vendorMetadata.IsEmpty && vendorMetadata.Length != keys.Length))
        {
            throw new ArgumentException("states, vendor metadata (when given) and statuses must match the keys.");
        }

        Span<FlowKey> masked = stackalloc FlowKey[CreateGroup];
        Span<FlowKey> reverses = stackalloc FlowKey[CreateGroup];
        Span<ulong> hashes = stackalloc ulong[CreateGroup];
        for (int start = 0; start < keys.Length; start += CreateGroup)
        {
            int n = Math.Min(CreateGroup, keys.Length - start);
            for (int i = 0; i < n; i++)
            {
                masked[i] = _mask.Apply(in keys[start + i]);
                reverses[i] = _mask.Apply(in states[start + i].ReverseKey);
                hashes[i] = FlowKeyHash.Hash(in masked[i]);
            }

            using (_writeLock.Enter())
            {
                ThrowIfDisposed();
                for (int i = 0; i < n; i++)
                {
                    Prefetch(HomeBucket(hashes[i]));
                }

                for (int i = 0; i < n; i++)
                {
                    ReadOnlySpan<byte> vendor = vendorMetadata.IsEmpty ? default : vendorMetadata[start + i];
                    var status = vendor.Length > VendorDataPool.MaxLength
                        ? SaiStatus.InvalidParameter
                        : CreateLocked(in masked[i], hashes[i], in states[start + i], in reverses[i], vendor);
                    statuses[start + i] = status;
                    if (stopOnError && status != SaiStatus.Success)
                    {
                        return start + i + 1;
                    }
                }
            }
        }

        return keys.Length;
    }
}
