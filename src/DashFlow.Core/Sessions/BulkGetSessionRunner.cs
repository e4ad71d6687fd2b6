using System.Runtime.CompilerServices;
using DashFlow.Api;
using DashFlow.Engine;
using DashFlow.Model;
using DashFlow.Records;

namespace DashFlow.Sessions;

/// <summary>What a runner needs from its device.</summary>
internal sealed record BulkGetRunContext(
    BulkGetEventDispatcher Dispatcher,
    FlowRecordSinkFactory? SinkFactory,
    int SliceRecords,
    int RecordBatchSize,
    CancellationToken DeviceStopping);

/// <summary>
/// Runs one session in the background: scans its tables with the engine's resumable cursor in slices of
/// <see cref="BulkGetRunContext.SliceRecords"/> records (the scan takes no lock, so data-plane lookups and writers never
/// wait for it), hands each slice's matches to the notification queue or the sink, and awaits them between slices, so
/// a slow consumer slows the scan. Raises exactly one FINISHED (D15), whatever happens.
/// </summary>
internal sealed class BulkGetSessionRunner(
    BulkGetSession session,
    (FlowTableId Id, FlowTable Table)[] tables,
    FlowFilterPredicate predicate,
    BulkGetRunContext context,
    Action<BulkGetSession> onScanEnded,
    Action<BulkGetSession> onExit)
{
    private const int MaxReadyBatches = 4; // per session, between two deliveries

    private readonly List<EventBatch> _readyEvents = [];
    private readonly List<FlowRecordBatch> _readyRecords = [];
    private readonly Stack<FlowRecordBatch> _spareRecords = new(); // batches a releasing sink is done with
    private EventBatch? _events;
    private FlowRecordBatch? _records;
    private FlowTableId _table;
    private long _remaining;

    public async Task RunAsync()
    {
        var config = session.Config;
        var token = session.Cancellation.Token;
        var final = BulkGetSessionState.Completed;
        string? error = null;
        IFlowRecordSink? sink = null;
        try
        {
            token.ThrowIfCancellationRequested();
            session.Start();
            if (config.Mode == BulkGetSessionMode.Grpc)
            {
                sink = context.SinkFactory!(config.ServerIp, config.ServerPort);
            }

            if (!predicate.MatchesNothing)
            {
                await ScanAsync(config, sink, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            final = BulkGetSessionState.Cancelled;
        }
#pragma warning disable CA1031 // any failure of the receiver or the scan ends the session as FAILED, never the process
        catch (Exception exception)
        {
            final = BulkGetSessionState.Failed;
            error = exception.Message;
        }

        if (sink is not null)
        {
            try
            {
                await sink.CompleteAsync(session.Id, final, session.Delivered, context.DeviceStopping).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                if (final == BulkGetSessionState.Completed)
                {
                    final = BulkGetSessionState.Failed;
                    error = exception.Message;
                }
            }

            try
            {
                await sink.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // the records were delivered and completed; a failing disposal changes nothing
            }
        }

        ReturnPending();
        onScanEnded(session); // the tables are free from here on
        session.Finish(final, error);
        try
        {
            await context.Dispatcher.WriteFinishedAsync(session.Id, final, session.Delivered, context.DeviceStopping).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // the device is being disposed: nobody is left to notify
        }
#pragma warning restore CA1031

        onExit(session);
        session.SignalCompletion();
    }

    private async Task ScanAsync(BulkGetSessionConfig config, IFlowRecordSink? sink, CancellationToken token)
    {
        _remaining = config.EntryLimit == 0 ? long.MaxValue : config.EntryLimit;
        bool events = config.Mode != BulkGetSessionMode.Grpc;
        bool withState = config.Mode != BulkGetSessionMode.EventWithoutFlowState;
        foreach (var (id, table) in tables)
        {
            _table = id;
            var cursor = default(FlowScanCursor);
            while (!cursor.IsComplete && _remaining > 0)
            {
                token.ThrowIfCancellationRequested();
                int examined;
                if (events)
                {
                    var visitor = new EventVisitor(predicate, this, withState);
                    examined = table.Scan(ref cursor, context.SliceRecords, ref visitor);
                }
                else
                {
                    var visitor = new RecordVisitor(predicate, this);
                    examined = table.Scan(ref cursor, context.SliceRecords, ref visitor);
                }

                session.AddScanned(examined);
                await FlushAsync(sink, token).ConfigureAwait(false);
            }
        }

        // The last, partial batch.
        if (_events is { Count: > 0 })
        {
            _readyEvents.Add(_events);
            _events = null;
        }

        if (_records is { Count: > 0 })
        {
            _readyRecords.Add(_records);
            _records = null;
        }

        await FlushAsync(sink, token).ConfigureAwait(false);
    }

    private async Task FlushAsync(IFlowRecordSink? sink, CancellationToken token)
    {
        while (_readyEvents.Count > 0)
        {
            var batch = _readyEvents[0];
            int count = batch.Count; // once queued, the batch belongs to the pump (which recycles it)
            await context.Dispatcher.WriteAsync(batch, token).ConfigureAwait(false);
            _readyEvents.RemoveAt(0);
            session.AddDelivered(count);
        }

        while (_readyRecords.Count > 0)
        {
            var batch = _readyRecords[0];
            int count = batch.Count; // the batch belongs to the sink once passed
            await sink!.SendAsync(session.Id, batch, token).ConfigureAwait(false);
            _readyRecords.RemoveAt(0);
            session.AddDelivered(count);
            if (sink.ReleasesBatches)
            {
                batch.Clear(); // reused: a fresh large buffer per batch costs page faults and GC work on every batch
                _spareRecords.Push(batch);
            }
        }
    }

    private void ReturnPending()
    {
        foreach (var batch in _readyEvents)
        {
            context.Dispatcher.Return(batch);
        }

        if (_events is not null)
        {
            context.Dispatcher.Return(_events);
        }

        _readyEvents.Clear();
        _readyRecords.Clear();
        _spareRecords.Clear();
        _events = null;
        _records = null;
    }

    /// <summary>Takes one matching entry for an EVENT-mode session; false once the entry limit is reached.</summary>
    private bool AddEvent(in FlowKey key, in FlowState state, ReadOnlySpan<byte> vendorMetadata, bool withState)
    {
        _events ??= context.Dispatcher.Rent(session.Id, withState);
        _events.AddEntry(_table, in key, in state, vendorMetadata, withState);
        if (_events.IsFull)
        {
            _readyEvents.Add(_events);
            _events = null;
        }

        // Ending the slice early (the cursor is already past this entry) bounds what waits for delivery.
        return --_remaining > 0 && _readyEvents.Count < MaxReadyBatches;
    }

    /// <summary>Takes one matching entry for a GRPC-mode session; false once the entry limit is reached.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool AddRecord(in FlowKey key, in FlowState state, ReadOnlySpan<byte> vendorMetadata)
    {
        _records ??= _spareRecords.TryPop(out var spare) ? spare : new FlowRecordBatch(context.RecordBatchSize * 192);
        _records.Add(in key, in state, vendorMetadata);
        if (_records.Count >= context.RecordBatchSize)
        {
            _readyRecords.Add(_records);
            _records = null;
        }

        return --_remaining > 0 && _readyRecords.Count < MaxReadyBatches;
    }

    private readonly struct EventVisitor(FlowFilterPredicate predicate, BulkGetSessionRunner runner, bool withState) : IFlowScanVisitor
    {
        public bool NeedsState => withState;

        public bool Accept(in FlowEntryView view) => predicate.Matches(in view);

        public bool Visit(in FlowEntryView view, in FlowState state, ReadOnlySpan<byte> vendorMetadata) =>
            runner.AddEvent(in view.Key, in state, vendorMetadata, withState);
    }

    private readonly struct RecordVisitor(FlowFilterPredicate predicate, BulkGetSessionRunner runner) : IFlowScanVisitor
    {
        public bool NeedsState => true;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per scanned record
        public bool Accept(in FlowEntryView view) => predicate.Matches(in view);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public bool Visit(in FlowEntryView view, in FlowState state, ReadOnlySpan<byte> vendorMetadata) =>
            runner.AddRecord(in view.Key, in state, vendorMetadata);
    }
}

/// <summary>Counts the entries a filter set selects, the way a session's scan selects them (benchmarks, tools).</summary>
public struct FlowFilterCountVisitor(FlowFilterPredicate predicate) : IFlowScanVisitor
{
    /// <summary>Entries that matched so far.</summary>
    public long Matches { readonly get; private set; }

    public readonly bool NeedsState => false;

    public readonly bool Accept(in FlowEntryView view) => predicate.Matches(in view);

    public bool Visit(in FlowEntryView view, in FlowState state, ReadOnlySpan<byte> vendorMetadata)
    {
        Matches++;
        return true;
    }
}
