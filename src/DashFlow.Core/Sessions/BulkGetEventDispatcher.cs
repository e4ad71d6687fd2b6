using System.Collections.Concurrent;
using System.Threading.Channels;
using DashFlow.Api;
using DashFlow.Model;

namespace DashFlow.Sessions;

/// <summary>A batch of events of one session, pooled with its attribute storage.</summary>
internal sealed class EventBatch
{
    public EventBatch(int capacity, bool withAttributes, bool withFlowData = false)
    {
        Events = new BulkGetSessionEventData[capacity];
        Stride = FlowEntryAttributes.Count + (withFlowData ? 1 : 0);
        Attributes = withAttributes ? new SaiAttribute[capacity * Stride] : null;
    }

    /// <summary>Attributes per entry: 33, or 34 with FLOW_DATA_PB.</summary>
    public int Stride { get; }

    public BulkGetSessionId Session { get; set; }

    public BulkGetSessionEventData[] Events { get; }

    public SaiAttribute[]? Attributes { get; }

    public int Count { get; set; }

    public bool IsFull => Count == Events.Length;

    /// <summary>Adds a FLOW_ENTRY event; with state, its 33 attributes are written into the batch's storage.</summary>
    public void AddEntry(FlowTableId table, in FlowKey key, in FlowState state, ReadOnlySpan<byte> vendorMetadata, bool withState)
    {
        var attributes = ReadOnlyMemory<SaiAttribute>.Empty;
        if (withState)
        {
            var storage = Attributes.AsMemory(Count * Stride, Stride);
            FlowEntryAttributes.Fill(storage.Span, in key, in state, vendorMetadata);
            attributes = storage;
        }

        Events[Count++] = new BulkGetSessionEventData(BulkGetSessionEvent.FlowEntry, new FlowEntryAddress(table, key), attributes);
    }
}

/// <summary>
/// The switch's bulk-get notification channel: sessions write batches into a bounded queue (Wait mode), one pump calls
/// the registered callback in order. A full queue makes writers wait, so a slow callback slows the sessions.
/// </summary>
internal sealed class BulkGetEventDispatcher
{
    public const int EntriesPerBatch = 128;
    private const int MaxPooled = 64;

    private readonly Channel<EventBatch> _queue;
    private readonly ConcurrentQueue<EventBatch> _withState = new();
    private readonly ConcurrentQueue<EventBatch> _keysOnly = new();
    private readonly Task _pump;
    private BulkGetSessionEventCallback? _callback;
    private long _callbackFailures;

    private readonly bool _withFlowData;

    public BulkGetEventDispatcher(int capacity, bool withFlowData)
    {
        _withFlowData = withFlowData;
        _queue = Channel.CreateBounded<EventBatch>(new BoundedChannelOptions(Math.Max(1, capacity))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _pump = Task.Run(PumpAsync);
    }

    public BulkGetSessionEventCallback? Callback
    {
        get => Volatile.Read(ref _callback);
        set => Volatile.Write(ref _callback, value);
    }

    /// <summary>Callback invocations that threw (the exception is swallowed; the pump goes on).</summary>
    public long CallbackFailures => Interlocked.Read(ref _callbackFailures);

    /// <summary>Completes when the queue was completed and drained.</summary>
    public Task Completion => _pump;

    public EventBatch Rent(BulkGetSessionId session, bool withState)
    {
        var pool = withState ? _withState : _keysOnly;
        if (!pool.TryDequeue(out var batch))
        {
            batch = new EventBatch(EntriesPerBatch, withState, _withFlowData);
        }

        batch.Session = session;
        batch.Count = 0;
        return batch;
    }

    public void Return(EventBatch batch)
    {
        if (batch.Events.Length != EntriesPerBatch)
        {
            return;
        }

        var pool = batch.Attributes is null ? _keysOnly : _withState;
        if (pool.Count < MaxPooled)
        {
            // Not cleared: every slot is overwritten before it is delivered again, and the only references a stale slot
            // keeps are small vendor-metadata arrays.
            batch.Count = 0;
            pool.Enqueue(batch);
        }
    }

    /// <summary>Queues a batch; waits while the queue is full.</summary>
    public ValueTask WriteAsync(EventBatch batch, CancellationToken cancellationToken) => _queue.Writer.WriteAsync(batch, cancellationToken);

    /// <summary>Queues a session's one FINISHED event (D15).</summary>
    public ValueTask WriteFinishedAsync(BulkGetSessionId session, BulkGetSessionState finalState, long delivered, CancellationToken cancellationToken)
    {
        var batch = new EventBatch(1, withAttributes: false) { Session = session, Count = 1 };
        batch.Events[0] = new BulkGetSessionEventData(BulkGetSessionEvent.Finished, default, ReadOnlyMemory<SaiAttribute>.Empty, finalState, delivered);
        return _queue.Writer.WriteAsync(batch, cancellationToken);
    }

    /// <summary>No more batches: the pump drains the queue and ends.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    private async Task PumpAsync()
    {
        await foreach (var batch in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            var callback = Callback;
            if (callback is not null)
            {
                try
                {
                    callback(batch.Session, batch.Events.AsSpan(0, batch.Count));
                }
#pragma warning disable CA1031 // a consumer's exception must not stop the notifications of every session
                catch (Exception)
#pragma warning restore CA1031
                {
                    Interlocked.Increment(ref _callbackFailures);
                }
            }

            Return(batch);
        }
    }
}
