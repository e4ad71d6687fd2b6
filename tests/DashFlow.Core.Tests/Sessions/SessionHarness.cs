using System.Collections.Concurrent;
using DashFlow.Api;
using DashFlow.Engine;
using DashFlow.Model;
using DashFlow.Records;
using DashFlow.Sessions;
using SaiDashFlowEntry = DashFlow.Protos.SaiDashFlowEntry;

namespace DashFlow.Core.Tests.Sessions;

/// <summary>What one session delivered: its FLOW_ENTRY events (attributes copied) and its FINISHED events.</summary>
internal sealed class SessionLog
{
    private readonly Lock _sync = new();

    public List<(FlowEntryAddress Entry, SaiAttribute[] Attributes)> Entries { get; } = [];

    public List<(BulkGetSessionState State, long Delivered)> Finished { get; } = [];

    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Add(in BulkGetSessionEventData data)
    {
        lock (_sync)
        {
            if (data.EventType == BulkGetSessionEvent.FlowEntry)
            {
                Entries.Add((data.FlowEntry, data.Attributes.ToArray()));
            }
            else
            {
                Finished.Add((data.FinalState, data.EntriesDelivered));
                Done.TrySetResult();
            }
        }
    }
}

/// <summary>A record sink in memory: keeps every record, can fail on a chosen batch, and records its completion.</summary>
internal sealed class MemorySink : IFlowRecordSink
{
    public List<SaiDashFlowEntry> Records { get; } = [];

    public int Batches { get; private set; }

    public int FailOnBatch { get; init; } = -1;

    public List<(BulkGetSessionState State, long Delivered)> Completions { get; } = [];

    public bool Disposed { get; private set; }

    public ValueTask SendAsync(BulkGetSessionId session, FlowRecordBatch batch, CancellationToken cancellationToken)
    {
        if (Batches++ == FailOnBatch)
        {
            throw new IOException("receiver went away");
        }

        var records = batch.ToMessages();
        Assert.Equal(batch.Count, records.Count);
        Records.AddRange(records);
        return ValueTask.CompletedTask;
    }

    public ValueTask CompleteAsync(BulkGetSessionId session, BulkGetSessionState finalState, long entriesDelivered, CancellationToken cancellationToken)
    {
        Completions.Add((finalState, entriesDelivered));
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}

/// <summary>A device with a manual clock, a notification callback that logs per session, and in-memory GRPC sinks.</summary>
internal sealed class SessionHarness : IDisposable
{
    private readonly ConcurrentDictionary<ulong, SessionLog> _logs = new();

    public SessionHarness(FlowApiOptions? options = null, FlowCapabilities? capabilities = null)
    {
        Clock = FlowClock.Manual(1_000);
        var baseOptions = options ?? new FlowApiOptions();
        Api = new FlowApi(baseOptions with
        {
            Clock = Clock,
            Capabilities = capabilities ?? baseOptions.Capabilities,
            RecordSinkFactory = baseOptions.RecordSinkFactory ?? ((ip, port) =>
            {
                var sink = new MemorySink { FailOnBatch = SinkFailOnBatch };
                Sinks.Enqueue((ip, port, sink));
                return sink;
            }),
        });
        Api.RegisterBulkGetSessionEventCallback(OnEvents);
    }

    public FlowApi Api { get; }

    public FlowClock Clock { get; }

    public ConcurrentQueue<(IpAddress Ip, ushort Port, MemorySink Sink)> Sinks { get; } = new();

    public int SinkFailOnBatch { get; set; } = -1;

    /// <summary>Runs inside the callback after each batch (the consumer side: slow it, or change the table).</summary>
    public Action<BulkGetSessionId, int>? AfterBatch { get; set; }

    public SessionLog Log(BulkGetSessionId id) => _logs.GetOrAdd(id.Value, _ => new SessionLog());

    public FlowTableId CreateTable(uint capacity = 4096, FlowEnabledKey enabled = FlowEnabledKey.All, uint ttlMs = 0)
    {
        Assert.Equal(SaiStatus.Success, Api.CreateFlowTable(out var table,
        [
            SaiAttribute.U32(FlowTableAttr.MaxFlowCount, capacity),
            SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, (int)enabled),
            SaiAttribute.U32(FlowTableAttr.FlowTtlInMilliseconds, ttlMs),
        ]));
        return table;
    }

    public BulkGetSessionFilterId Filter(BulkGetFilterKey key, BulkGetFilterOp op, ulong intValue = 0, IpAddress ip = default, MacAddress mac = default)
    {
        Assert.Equal(SaiStatus.Success, Api.CreateFlowEntryBulkGetSessionFilter(out var id, new BulkGetFilter(key, op, intValue, ip, mac)));
        return id;
    }

    public static SaiAttribute[] SessionAttributes(BulkGetSessionMode mode, uint limit, IReadOnlyList<BulkGetSessionFilterId> filters, FlowTableId table = default)
    {
        var attributes = new List<SaiAttribute>
        {
            SaiAttribute.S32(BulkGetSessionAttr.Mode, (int)mode),
            SaiAttribute.U32(BulkGetSessionAttr.EntryLimitation, limit),
        };
        if (mode == BulkGetSessionMode.Grpc)
        {
            attributes.Add(SaiAttribute.Ip(BulkGetSessionAttr.ServerIp, IpAddress.Parse("192.0.2.7")));
            attributes.Add(SaiAttribute.U32(BulkGetSessionAttr.ServerPort, 50051));
        }

        for (int i = 0; i < filters.Count; i++)
        {
            attributes.Add(SaiAttribute.Oid(BulkGetSessionAttr.FirstFilterId + (uint)i, filters[i].Value));
        }

        if (table.Value != 0)
        {
            attributes.Add(SaiAttribute.Oid(BulkGetSessionAttr.FlowTable, table.Value));
        }

        return [.. attributes];
    }

    public BulkGetSessionId Start(BulkGetSessionMode mode, uint limit, IReadOnlyList<BulkGetSessionFilterId> filters, FlowTableId table = default)
    {
        Assert.Equal(SaiStatus.Success, Api.CreateFlowEntryBulkGetSession(out var id, SessionAttributes(mode, limit, filters, table)));
        return id;
    }

    public async Task<SessionLog> FinishedAsync(BulkGetSessionId id)
    {
        var log = Log(id);
        await log.Done.Task.WaitAsync(TimeSpan.FromSeconds(50));
        return log;
    }

    /// <summary>The entries a finished session delivered, as (table, key) pairs, whatever its mode.</summary>
    public List<FlowEntryAddress> Delivered(BulkGetSessionId id, BulkGetSessionMode mode, MemorySink? sink)
    {
        if (mode != BulkGetSessionMode.Grpc)
        {
            return [.. Log(id).Entries.Select(e => e.Entry)];
        }

        Assert.NotNull(sink);
        var result = new List<FlowEntryAddress>();
        foreach (var record in sink.Records)
        {
            Assert.Equal(SaiStatus.Success, FlowRecordCodec.TryFromMessage(record, out var key, out _, out _));
            result.Add(new FlowEntryAddress(default, key));
        }

        return result;
    }

    /// <summary>Disposes the device (which drains the notifications) and checks D15: one FINISHED per session.</summary>
    public void AssertEachFinishedOnce()
    {
        Api.Dispose();
        foreach (var log in _logs.Values)
        {
            Assert.Single(log.Finished);
        }
    }

    public void Dispose() => Api.Dispose();

    private void OnEvents(BulkGetSessionId id, ReadOnlySpan<BulkGetSessionEventData> events)
    {
        var log = Log(id);
        foreach (ref readonly var data in events)
        {
            log.Add(in data);
        }

        AfterBatch?.Invoke(id, events.Length);
    }
}
