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

        var creator = new PackedCreator(engine, Capabilities.UnidirectionalFlowEntry, mode, statuses[..count].ToArray());
        records.ForEach(ref creator);
        while (creator.Position < count)
        {
            creator.Add(SaiStatus.InvalidParameter); // announced but missing, or after broken framing
        }

        creator.Statuses.CopyTo(statuses);
        return creator.Failed ? SaiStatus.Failure : SaiStatus.Success;
    }

    /// <summary>Creates decoded records one after another under the error mode.</summary>
    private struct PackedCreator(FlowTable table, bool unidirectionalSupported, BulkErrorMode mode, SaiStatus[] statuses) : IFlowRecordVisitor
    {
        public readonly SaiStatus[] Statuses => statuses;

        public int Position { get; private set; }

        public bool Failed { get; private set; }

        public void Visit(in FlowKey key, in FlowState state, byte[] vendorMetadata)
        {
            if (Position >= statuses.Length)
            {
                return; // more records than announced: the extra ones are not created
            }

            if (Failed && mode == BulkErrorMode.StopOnError)
            {
                Add(SaiStatus.NotExecuted);
                return;
            }

            Add(state.IsUnidirectional && !unidirectionalSupported ? SaiStatus.NotSupported : table.Create(in key, in state, vendorMetadata));
        }

        public void Refused(SaiStatus status) => Add(status);

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
