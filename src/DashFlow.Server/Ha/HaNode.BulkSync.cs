using System.Runtime.CompilerServices;
using DashFlow.Api;
using DashFlow.Engine;
using DashFlow.Ha.Standby;
using DashFlow.Model;
using DashFlow.Records;
using DashFlow.Sessions;

namespace DashFlow.Server.Ha;

// Bulk sync: the active sends every table through a GRPC-mode bulk get session into the peer's receiver; the standby
// applies what arrives to the table named by BULK_SYNC_START, never replacing a newer version.
public sealed partial class HaNode
{
    private CancellationTokenSource? _bulkSync;
    private (ulong Id, FlowTable Table)? _bulkTarget;

    /// <summary>The standby's receiver: applies one batch of a bulk sync; false when no bulk sync is being received.</summary>
    public bool TryApplyBulk(FlowRecordBatch batch, out int applied)
    {
        var decoded = new DecodedBulkBatch();
        if (!TryDecodeBulk(batch, decoded))
        {
            applied = 0;
            return false;
        }

        applied = ApplyBulk(decoded);
        return true;
    }

    /// <summary>
    /// The first half of <see cref="TryApplyBulk"/>: decodes one batch of a bulk sync into <paramref name="decoded"/>,
    /// outside any lock, so the receiver can decode the next batch while <see cref="ApplyBulk"/> applies this one.
    /// </summary>
    /// <returns>False when no bulk sync is being received.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryDecodeBulk(FlowRecordBatch batch, DecodedBulkBatch decoded)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(decoded);
        if (_bulkTarget is not { } target || !AcceptingSync)
        {
            return false;
        }

        decoded.Reset(target.Id, target.Table, batch.Count);
        var visitor = new BulkDecoder(decoded);
        batch.ForEach(ref visitor);
        Counters.CountBulkReceived(batch.Count);
        return true;
    }

    /// <summary>The second half of <see cref="TryApplyBulk"/>: applies a decoded batch (insert when missing, replace only
    /// a lower version), unless the bulk sync it was decoded for is no longer the one being received.</summary>
    /// <returns>The records applied.</returns>
    public int ApplyBulk(DecodedBulkBatch decoded)
    {
        ArgumentNullException.ThrowIfNull(decoded);
        if (_bulkTarget is not { } target || target.Id != decoded.TableId || !ReferenceEquals(target.Table, decoded.Table) || !AcceptingSync)
        {
            return 0;
        }

        return _applier.ApplyBulk(target.Table, target.Id, decoded.Keys.AsSpan(0, decoded.Count), decoded.States.AsSpan(0, decoded.Count), decoded.VendorMetadata.AsSpan(0, decoded.Count));
    }

    private int _bulkEpoch; // which bulk sync is current: a completion of a superseded one must not be announced
    private long _bulkFlows, _bulkTicks;

    /// <summary>The flows the last bulk sync sent and the time its sessions streamed (table set-up and control excluded).</summary>
    public (long Flows, TimeSpan Streaming) LastBulkSync => (Interlocked.Read(ref _bulkFlows), TimeSpan.FromSeconds(Interlocked.Read(ref _bulkTicks) / (double)System.Diagnostics.Stopwatch.Frequency));

    private void StartBulkSync()
    {
        Interlocked.Increment(ref _bulkEpoch);
        Interlocked.Exchange(ref _bulkFlows, 0);
        Interlocked.Exchange(ref _bulkTicks, 0);
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(Stopping);
        Interlocked.Exchange(ref _bulkSync, cancel)?.Cancel();
        bool ranged = _rangeBase != 0; // planned with the vote that started this sync (HaNode.RangeSync.cs)
        _ = Task.Run(() => ranged ? RunRangeSyncAsync(cancel.Token) : RunBulkSyncAsync(cancel.Token));
    }

    private async Task RunBulkSyncAsync(CancellationToken cancellationToken)
    {
        bool succeeded = false;
        try
        {
            foreach (var id in _api.FlowTableIds)
            {
                await SyncTableAsync(id, cancellationToken).ConfigureAwait(false);
            }

            succeeded = true;
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            succeeded = false;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return; // superseded (a new bulk sync, a peer loss): the machine already moved on
        }

        Counters.BulkSyncEnded(succeeded);
        Input(m => m.OnBulkSyncFinished(succeeded));
    }

    private async Task SyncTableAsync(FlowTableId id, CancellationToken cancellationToken)
    {
        if (HaTableSpec.Of(_api, id) is not { } spec)
        {
            return; // removed meanwhile
        }

        // The standby may still be clearing or mapping its tables, or settling its vote: it answers OBJECT_IN_USE until
        // ready, which for a 32M-flow table takes seconds; the bulk sync timeout bounds the wait.
        var deadline = NowMs + _options.Timings.BulkSyncTimeoutMs;
        while (true)
        {
            var reply = await TryControlAsync(HaControlType.BulkSyncStart, 5_000, r =>
            {
                r.FlowTableId = id.Value;
                r.Table = spec.ToMessage();
            }).ConfigureAwait(false);
            if (reply is { Status: (int)SaiStatus.Success })
            {
                break;
            }

            if (NowMs > deadline)
            {
                throw new InvalidOperationException("the peer did not accept BULK_SYNC_START");
            }

            await Task.Delay(_options.Timings.HeartbeatIntervalMs, cancellationToken).ConfigureAwait(false);
        }

        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var status = _api.CreateFlowEntryBulkGetSession(out var session,
        [
            SaiAttribute.S32(BulkGetSessionAttr.Mode, (int)BulkGetSessionMode.Grpc),
            SaiAttribute.U32(BulkGetSessionAttr.EntryLimitation, 0),
            SaiAttribute.Ip(BulkGetSessionAttr.ServerIp, IpAddress.From(PeerEndpoint.Address)),
            SaiAttribute.U32(BulkGetSessionAttr.ServerPort, (uint)PeerEndpoint.Port),
            SaiAttribute.Oid(BulkGetSessionAttr.FlowTable, id.Value),
        ]);
        if (status != SaiStatus.Success)
        {
            throw new InvalidOperationException($"bulk sync session: {status.Describe()}");
        }

        try
        {
            var finished = await _api.WhenBulkGetSessionFinished(session)!
                .WaitAsync(TimeSpan.FromMilliseconds(_options.Timings.BulkSyncTimeoutMs), cancellationToken).ConfigureAwait(false);
            int batchSize = _api.Options.BulkGetRecordBatchSize;
            Counters.CountBulkSent((finished.EntriesDelivered + batchSize - 1) / batchSize, finished.EntriesDelivered);
            Interlocked.Add(ref _bulkFlows, finished.EntriesDelivered);
            Interlocked.Add(ref _bulkTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
            if (finished.State != BulkGetSessionState.Completed)
            {
                throw new InvalidOperationException($"bulk sync session {finished.State}: {finished.Error}");
            }
        }
        finally
        {
            _api.RemoveFlowEntryBulkGetSession(session);
        }
    }

    /// <summary>Collects decoded bulk records.</summary>
    private readonly struct BulkDecoder(DecodedBulkBatch decoded) : IFlowRecordVisitor
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per record: optimized from the first batch, not after a lagging tier-up
        public void Visit(in FlowKey key, in FlowState state, byte[] vendorMetadata) => decoded.Add(in key, in state, vendorMetadata);
    }
}

/// <summary>The records of one bulk-sync batch, decoded by <see cref="HaNode.TryDecodeBulk"/> for <see cref="HaNode.ApplyBulk"/>;
/// reused from batch to batch.</summary>
public sealed class DecodedBulkBatch
{
    internal FlowKey[] Keys = [];
    internal FlowState[] States = [];
    internal byte[][] VendorMetadata = [];

    /// <summary>Records decoded.</summary>
    public int Count { get; private set; }

    internal ulong TableId { get; private set; }

    internal FlowTable? Table { get; private set; }

    internal void Reset(ulong tableId, FlowTable table, int capacity)
    {
        TableId = tableId;
        Table = table;
        Count = 0;
        if (Keys.Length < capacity)
        {
            Keys = new FlowKey[capacity];
            States = new FlowState[capacity];
            VendorMetadata = new byte[capacity][];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void Add(in FlowKey key, in FlowState state, byte[] vendorMetadata)
    {
        if (Count == Keys.Length)
        {
            int size = Math.Max(16, Count * 2);
            Array.Resize(ref Keys, size);
            Array.Resize(ref States, size);
            Array.Resize(ref VendorMetadata, size);
        }

        Keys[Count] = key;
        States[Count] = state;
        VendorMetadata[Count] = vendorMetadata;
        Count++;
    }
}
