using System.Runtime.CompilerServices;
using DashFlow.Engine;
using DashFlow.Model;
using DashFlow.Records;

namespace DashFlow.Api;

// Bulk create of complete records (the FLOW_DATA_PB form), packed: the fast path of remote slow paths and bulk loads.
public sealed partial class FlowApi
{
    /// <summary>
    /// create_flow_entries for packed records: the table is resolved once and each record is validated by its decoding (the
    /// same checks as FLOW_DATA_PB). One status per record announced in <paramref name="count"/>: a record that does not
    /// decode (or is missing from the batch) gets INVALID_PARAMETER; STOP_ON_ERROR leaves the rest NOT_EXECUTED.
    /// </summary>
    public SaiStatus CreateFlowEntries(FlowTableId table, FlowRecordBatch records, int count, BulkErrorMode mode, Span<SaiStatus> statuses)
    {
        if (statuses.Length < count || count < 0 || mode is not (BulkErrorMode.StopOnError or BulkErrorMode.IgnoreError))
        {
            return SaiStatus.InvalidParameter;
        }

        FlowTable? engine = null;
        var refusal = !Capabilities.FlowCreate ? SaiStatus.NotSupported : ResolveTable(table, out engine);
        if (refusal != SaiStatus.Success || engine is null)
        {
            statuses[..count].Fill(refusal);
            return count == 0 ? SaiStatus.Success : SaiStatus.Failure;
        }

        var scratch = t_packedScratch ?? new DecodedRecordBuffer();
        t_packedScratch = null; // taken: a re-entrant call gets its own
        try
        {
            var creator = new PackedCreator(engine, Capabilities.UnidirectionalFlowEntry, mode, statuses[..count].ToArray(), scratch);
            records.ForEach(ref creator);
            creator.Flush();
            while (creator.Position < count)
            {
                creator.Add(SaiStatus.InvalidParameter); // announced but missing, or after broken framing
            }

            creator.Statuses.CopyTo(statuses);
            return creator.Failed ? SaiStatus.Failure : SaiStatus.Success;
        }
        finally
        {
            scratch.Clear(); // a call that threw must not leave records for the next one
            t_packedScratch = scratch;
        }
    }

    [ThreadStatic]
    private static DecodedRecordBuffer? t_packedScratch;

    /// <summary>Creates decoded records in order under the error mode, handing them to the engine in groups.</summary>
    private struct PackedCreator(FlowTable table, bool unidirectionalSupported, BulkErrorMode mode, SaiStatus[] statuses, DecodedRecordBuffer scratch) : IFlowRecordVisitor
    {
        private int _pendingStart; // the position of the first record buffered in the scratch

        public readonly SaiStatus[] Statuses => statuses;

        public int Position { get; private set; }

        public bool Failed { get; private set; }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per record: optimized from the first call, not after a lagging tier-up
        public void Visit(in FlowKey key, in FlowState state, byte[] vendorMetadata)
        {
            if (Position >= statuses.Length)
            {
                return; // more records than announced: the extra ones are not created
            }

            if (state.IsUnidirectional && !unidirectionalSupported)
            {
                Refused(SaiStatus.NotSupported);
                return;
            }

            if (Failed && mode == BulkErrorMode.StopOnError)
            {
                Add(SaiStatus.NotExecuted);
                return;
            }

            if (scratch.Count == 0)
            {
                _pendingStart = Position;
            }

            scratch.Add(in key, in state, vendorMetadata);
            Position++;
            if (scratch.IsFull)
            {
                Flush();
            }
        }

        public void Refused(SaiStatus status)
        {
            Flush(); // the records before this one decide whether a STOP_ON_ERROR batch still runs
            Add(status);
        }

        /// <summary>Creates the buffered records; with STOP_ON_ERROR the ones after a failure are NOT_EXECUTED.</summary>
        public void Flush()
        {
            int n = scratch.Count;
            if (n == 0)
            {
                return;
            }

            var results = statuses.AsSpan(_pendingStart, n);
            int attempted = table.CreateBatch(scratch.Keys.AsSpan(0, n), scratch.States.AsSpan(0, n), scratch.VendorMetadata.AsSpan(0, n), mode == BulkErrorMode.StopOnError, results);
            for (int i = 0; i < attempted; i++)
            {
                Failed |= results[i] != SaiStatus.Success;
            }

            results[attempted..].Fill(SaiStatus.NotExecuted);
            scratch.Clear();
        }

        public void Add(SaiStatus status)
        {
            if (Position < statuses.Length)
            {
                statuses[Position++] = Failed && mode == BulkErrorMode.StopOnError ? SaiStatus.NotExecuted : status;
                Failed |= status != SaiStatus.Success && status != SaiStatus.NotExecuted;
            }
        }
    }
}
