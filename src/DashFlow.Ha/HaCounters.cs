namespace DashFlow.Ha;

/// <summary>
/// The HA counters of one node (spec §3.9: INLINE_/TIMED_ flow requests sent, received, acked, failed, ignored; bulk sync
/// messages and flows sent and received). Written with interlocked adds by the sync paths, read by metrics and status.
/// </summary>
public sealed class HaCounters
{
    private long _inlineSent, _inlineReceived, _inlineAcked, _inlineFailed, _inlineIgnored;
    private long _timedSent, _timedReceived, _timedAcked;
    private long _bulkMessagesSent, _bulkFlowsSent, _bulkMessagesReceived, _bulkFlowsReceived;
    private long _bulkSyncsCompleted, _bulkSyncsFailed, _peerLosses, _inlineReconnects, _inlineSuperseded;
    private long _rangeSyncsCompleted, _rangeSyncsFailed, _rangeFallbacks, _rangeFlowsSent, _rangeDeletesSent, _rangeFlowsReceived, _rangeDeletesReceived;

    /// <summary>Every counter by its metric name, in a fixed order.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> Snapshot() =>
    [
        new("inline_requests_sent", Volatile.Read(ref _inlineSent)),
        new("inline_requests_received", Volatile.Read(ref _inlineReceived)),
        new("inline_requests_acked", Volatile.Read(ref _inlineAcked)),
        new("inline_requests_failed", Volatile.Read(ref _inlineFailed)),
        new("inline_requests_ignored", Volatile.Read(ref _inlineIgnored)),
        new("timed_requests_sent", Volatile.Read(ref _timedSent)),
        new("timed_requests_received", Volatile.Read(ref _timedReceived)),
        new("timed_requests_acked", Volatile.Read(ref _timedAcked)),
        new("bulk_sync_messages_sent", Volatile.Read(ref _bulkMessagesSent)),
        new("bulk_sync_flows_sent", Volatile.Read(ref _bulkFlowsSent)),
        new("bulk_sync_messages_received", Volatile.Read(ref _bulkMessagesReceived)),
        new("bulk_sync_flows_received", Volatile.Read(ref _bulkFlowsReceived)),
        new("bulk_syncs_completed", Volatile.Read(ref _bulkSyncsCompleted)),
        new("bulk_syncs_failed", Volatile.Read(ref _bulkSyncsFailed)),
        new("peer_losses", Volatile.Read(ref _peerLosses)),
        new("inline_stream_reconnects", Volatile.Read(ref _inlineReconnects)),
        new("inline_batches_superseded", Volatile.Read(ref _inlineSuperseded)),
        new("range_syncs_completed", Volatile.Read(ref _rangeSyncsCompleted)),
        new("range_syncs_failed", Volatile.Read(ref _rangeSyncsFailed)),
        new("range_sync_fallbacks", Volatile.Read(ref _rangeFallbacks)),
        new("range_sync_flows_sent", Volatile.Read(ref _rangeFlowsSent)),
        new("range_sync_deletes_sent", Volatile.Read(ref _rangeDeletesSent)),
        new("range_sync_flows_received", Volatile.Read(ref _rangeFlowsReceived)),
        new("range_sync_deletes_received", Volatile.Read(ref _rangeDeletesReceived)),
    ];

    /// <summary>The value of one counter by name (tests, status).</summary>
    public long this[string name] => Snapshot().First(p => p.Key == name).Value;

    internal void Sent(int inline, int timed)
    {
        Interlocked.Add(ref _inlineSent, inline);
        Interlocked.Add(ref _timedSent, timed);
    }

    internal void Received(bool timed)
    {
        Interlocked.Increment(ref _inlineReceived);
        if (timed)
        {
            Interlocked.Increment(ref _timedReceived);
        }
    }

    internal void Acked(int applied, int ignored, int failed, int timed)
    {
        Interlocked.Add(ref _inlineAcked, applied + ignored);
        Interlocked.Add(ref _inlineIgnored, ignored);
        Interlocked.Add(ref _inlineFailed, failed);
        Interlocked.Add(ref _timedAcked, timed);
    }

    internal void BulkSent(long messages, long flows)
    {
        Interlocked.Add(ref _bulkMessagesSent, messages);
        Interlocked.Add(ref _bulkFlowsSent, flows);
    }

    internal void BulkReceived(long flows)
    {
        Interlocked.Increment(ref _bulkMessagesReceived);
        Interlocked.Add(ref _bulkFlowsReceived, flows);
    }

    /// <summary>A bulk sync this node ran ended.</summary>
    public void BulkSyncEnded(bool succeeded) => Interlocked.Increment(ref succeeded ? ref _bulkSyncsCompleted : ref _bulkSyncsFailed);

    /// <summary>Counts bulk sync traffic sent by a session (the transport knows its messages).</summary>
    public void CountBulkSent(long messages, long flows) => BulkSent(messages, flows);

    /// <summary>Counts one bulk sync message of <paramref name="flows"/> flows received.</summary>
    public void CountBulkReceived(long flows) => BulkReceived(flows);

    /// <summary>The peer was declared lost.</summary>
    public void PeerLost() => Interlocked.Increment(ref _peerLosses);

    /// <summary>The inline stream was opened again after a break.</summary>
    public void InlineReconnected() => Interlocked.Increment(ref _inlineReconnects);

    /// <summary>The standby refused a batch of an inline stream that a newer stream from the active superseded.</summary>
    public void InlineBatchSuperseded() => Interlocked.Increment(ref _inlineSuperseded);

    /// <summary>A range sync this node ran ended.</summary>
    public void RangeSyncEnded(bool succeeded) => Interlocked.Increment(ref succeeded ? ref _rangeSyncsCompleted : ref _rangeSyncsFailed);

    /// <summary>A returning peer got a perfect sync although an outage log existed (it restarted, changed on its own, or the
    /// log overflowed).</summary>
    public void RangeSyncFellBack() => Interlocked.Increment(ref _rangeFallbacks);

    /// <summary>Counts range sync records sent: <paramref name="flows"/> flows and <paramref name="deletes"/> deletions.</summary>
    public void CountRangeSent(long flows, long deletes)
    {
        Interlocked.Add(ref _rangeFlowsSent, flows);
        Interlocked.Add(ref _rangeDeletesSent, deletes);
    }

    /// <summary>Counts range sync records received: <paramref name="flows"/> flows and <paramref name="deletes"/> deletions.</summary>
    public void CountRangeReceived(long flows, long deletes)
    {
        Interlocked.Add(ref _rangeFlowsReceived, flows);
        Interlocked.Add(ref _rangeDeletesReceived, deletes);
    }
}
