using System.Runtime.CompilerServices;
using DashFlow.Engine;
using DashFlow.Ha.Inline;
using DashFlow.Model;

namespace DashFlow.Ha.Range;

/// <summary>The tables' change observer of an HA node: every change goes to the inline queue (recorded while the node
/// replicates) and to the outage log (recorded while it decides alone).</summary>
/// <remarks>
/// The node switches between the two without stopping the tables: the log starts before the queue stops (the peer is
/// lost), the queue starts (after its reset) before the log stops (the peer returns). Reading the queue's switch, then the
/// log's (under its lock), then the queue's again when neither took the change, no change falls between the two.
/// </remarks>
public sealed class HaChangeObserver(InlineSyncQueue queue, OutageLog log) : IFlowChangeObserver
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per change; tiering is held back while the agent keeps JIT-compiling
    public void OnWritten(ulong tableId, in FlowKey key, in FlowState state, ReadOnlySpan<byte> vendorMetadata, bool created)
    {
        bool queued = queue.Enabled;
        if (queued)
        {
            queue.OnWritten(tableId, in key, in state, vendorMetadata, created);
        }

        if (!log.Record(tableId, in key) && !queued && queue.Enabled)
        {
            queue.OnWritten(tableId, in key, in state, vendorMetadata, created);
        }
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per change; tiering is held back while the agent keeps JIT-compiling
    public void OnRemoved(ulong tableId, in FlowKey key, uint version, bool aged)
    {
        bool queued = queue.Enabled;
        if (queued)
        {
            queue.OnRemoved(tableId, in key, version, aged);
        }

        if (!log.RecordRemoval(tableId, in key, version) && !queued && queue.Enabled)
        {
            queue.OnRemoved(tableId, in key, version, aged);
        }
    }
}
