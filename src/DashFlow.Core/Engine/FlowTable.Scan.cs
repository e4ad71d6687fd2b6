using System.Runtime.CompilerServices;
using DashFlow.Model;

namespace DashFlow.Engine;

// Resumable scans over the record array, in slices, without any lock: the base of bulk get sessions.
public sealed unsafe partial class FlowTable
{
    private const int ScanAllSlice = 65_536;

    /// <summary>Visits the whole table with <see cref="Scan"/> in slices (same guarantees: no lock, no torn entry).</summary>
    public void ScanAll<TVisitor>(ref TVisitor visitor)
        where TVisitor : struct, IFlowScanVisitor
    {
        var cursor = default(FlowScanCursor);
        while (!cursor.IsComplete)
        {
            Scan(ref cursor, ScanAllSlice, ref visitor);
        }
    }

    /// <summary>
    /// Visits up to <paramref name="maxRecords"/> records from <paramref name="cursor"/>. Every entry present for the
    /// whole scan is visited exactly once (records never move); entries created or removed meanwhile may or may not be.
    /// Each entry is copied under its seqlock, so the visitor never sees a torn entry and writers are never blocked.
    /// </summary>
    /// <returns>The number of records examined.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Scan<TVisitor>(ref FlowScanCursor cursor, int maxRecords, ref TVisitor visitor)
        where TVisitor : struct, IFlowScanVisitor
    {
        ThrowIfDisposed();
        int limit = Volatile.Read(ref _highWater);
        int examined = 0;
        Span<byte> vendorScratch = stackalloc byte[VendorDataPool.MaxLength];
        long now = Clock.NowMs;
        while (examined < maxRecords && cursor.Next < limit)
        {
            int index = cursor.Next++;
            examined++;
            if (!VisitRecord(index, now, ref visitor, vendorScratch))
            {
                return examined;
            }
        }

        if (cursor.Next >= Volatile.Read(ref _highWater))
        {
            cursor.IsComplete = true;
        }

        return examined;
    }

    /// <summary>Copies one record consistently and hands it to the visitor; false when the visitor stops the scan.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool VisitRecord<TVisitor>(int index, long now, ref TVisitor visitor, Span<byte> vendorScratch)
        where TVisitor : struct, IFlowScanVisitor
    {
        ref FlowRecord r = ref Record(index);
        ref FlowRecordCold c = ref Cold(index);
        var spinner = default(SpinWait);
        while (true)
        {
            uint sequence = Volatile.Read(ref r.Sequence);
            if ((sequence & 1) != 0)
            {
                spinner.SpinOnce();
                continue;
            }

            FlowRecord copy = r;
            FlowRecordCold coldCopy = c;
            LoadLoadBarrier();
            if (Volatile.Read(ref r.Sequence) != sequence)
            {
                continue;
            }

            if ((copy.Flags & FlowRecordFlags.InUse) == 0)
            {
                return true;
            }

            bool aged = (copy.Flags & FlowRecordFlags.Aged) != 0 || (AgingEnabled && IsExpired(in copy, now));
            var view = new FlowEntryView(in copy, in coldCopy, aged);
            if (!visitor.Accept(in view))
            {
                return true;
            }

            if (!visitor.NeedsState)
            {
                return visitor.Visit(in view, default, default);
            }

            FlowState state = ExpandState(in copy, in coldCopy, in _rewrites.Get(copy.RewriteHandle));
            var vendor = _vendorData.Read(VendorHandleOf(in copy, in coldCopy));
            vendor.CopyTo(vendorScratch);
            int vendorLength = vendor.Length;
            LoadLoadBarrier();
            if (Volatile.Read(ref r.Sequence) != sequence)
            {
                continue; // changed while we expanded it: read it again
            }

            return visitor.Visit(in view, in state, vendorScratch[..vendorLength]);
        }
    }
}
