using DashFlow.Api;
using DashFlow.Engine;
using DashFlow.Model;
using DashFlow.Sessions;

namespace DashFlow.Core.Tests.Sessions;

/// <summary>Cancellation, failure, objects in use (D14, D17), churn during a scan (D9), FINISHED once (D15) and back-pressure.</summary>
public sealed class SessionLifecycleTests
{
    private static FlowKey Key(int i) => new(new MacAddress(0x0200_0000_0001), 1, 6, IpAddress.FromV4(0x0A00_0000u + (uint)i), IpAddress.FromV4(0x0B00_0001), 1000, 80);

    private static FlowTable Fill(SessionHarness harness, FlowTableId table, int count, int first = 0)
    {
        harness.Api.TryGetTable(table, out var engine);
        for (int i = first; i < first + count; i++)
        {
            Assert.Equal(SaiStatus.Success, engine.Create(Key(i), new FlowState { IsUnidirectional = true, Version = (uint)i }));
        }

        return engine;
    }

    /// <summary>A callback gate: the first batch blocks the consumer until released.</summary>
    private sealed class Gate : IDisposable
    {
        private readonly ManualResetEventSlim _release = new();

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Attach(SessionHarness harness) => harness.AfterBatch = (_, _) =>
        {
            Entered.TrySetResult();
            _release.Wait();
        };

        public void Release() => _release.Set();

        public void Dispose() => _release.Dispose();
    }

    [Fact]
    public async Task Remove_RunningSession_CancelledWithOneFinishedAndGone()
    {
        using var gate = new Gate();
        using var harness = new SessionHarness(new FlowApiOptions { BulkGetEventQueueCapacity = 1 });
        var table = harness.CreateTable(8192);
        Fill(harness, table, 5000);
        gate.Attach(harness);
        var id = harness.Start(BulkGetSessionMode.Event, 0, []);
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(SaiStatus.Success, harness.Api.GetBulkGetSessionStatus(id, out var running));
        Assert.Equal(BulkGetSessionState.InProgress, running.State);
        Assert.Equal(SaiStatus.Success, harness.Api.RemoveFlowEntryBulkGetSession(id));
        Assert.Equal(SaiStatus.ItemNotFound, harness.Api.GetBulkGetSessionStatus(id, out _));
        Assert.Equal(SaiStatus.ItemNotFound, harness.Api.RemoveFlowEntryBulkGetSession(id));
        gate.Release();

        var log = await harness.FinishedAsync(id);
        var (state, delivered) = Assert.Single(log.Finished);
        Assert.Equal(BulkGetSessionState.Cancelled, state);
        Assert.True(delivered < 5000);
        Assert.Equal(delivered, log.Entries.Count);
        harness.AssertEachFinishedOnce();
    }

    [Fact]
    public async Task Remove_FinishedSession_NoSecondFinished()
    {
        using var harness = new SessionHarness();
        var table = harness.CreateTable();
        Fill(harness, table, 10);
        var id = harness.Start(BulkGetSessionMode.EventWithoutFlowState, 0, []);
        await harness.FinishedAsync(id);
        Assert.Equal(SaiStatus.Success, harness.Api.RemoveFlowEntryBulkGetSession(id));
        harness.AssertEachFinishedOnce();
        Assert.Equal((BulkGetSessionState.Completed, 10L), Assert.Single(harness.Log(id).Finished));
    }

    [Fact]
    public async Task Dispose_RunningSession_FinishedOnce()
    {
        using var gate = new Gate();
        var harness = new SessionHarness(new FlowApiOptions { BulkGetEventQueueCapacity = 1 });
        var table = harness.CreateTable(8192);
        Fill(harness, table, 5000);
        gate.Attach(harness);
        var id = harness.Start(BulkGetSessionMode.Event, 0, []);
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var disposing = Task.Run(harness.Api.Dispose);
        gate.Release();
        await disposing.WaitAsync(TimeSpan.FromSeconds(30));
        var (state, delivered) = Assert.Single(harness.Log(id).Finished);
        Assert.Contains(state, new[] { BulkGetSessionState.Cancelled, BulkGetSessionState.Completed });
        Assert.Equal(delivered, harness.Log(id).Entries.Count);
    }

    [Fact]
    public async Task Grpc_SinkThrows_FailedWithOneFinished()
    {
        using var harness = new SessionHarness(new FlowApiOptions { BulkGetRecordBatchSize = 16 }) { SinkFailOnBatch = 1 };
        var table = harness.CreateTable();
        Fill(harness, table, 100);
        var id = harness.Start(BulkGetSessionMode.Grpc, 0, []);
        var log = await harness.FinishedAsync(id);
        Assert.Equal((BulkGetSessionState.Failed, 16L), Assert.Single(log.Finished));
        Assert.Equal(SaiStatus.Success, harness.Api.GetBulkGetSessionStatus(id, out var status));
        Assert.Equal(BulkGetSessionState.Failed, status.State);
        Assert.Equal("receiver went away", status.Error);
        Assert.True(harness.Sinks.TryDequeue(out var sink));
        Assert.Equal(IpAddress.Parse("192.0.2.7"), sink.Ip);
        Assert.Equal(50051, sink.Port);
        Assert.Equal(16, sink.Sink.Records.Count);
        Assert.Equal((BulkGetSessionState.Failed, 16L), Assert.Single(sink.Sink.Completions));
        Assert.True(sink.Sink.Disposed);
        harness.AssertEachFinishedOnce();
    }

    [Fact]
    public async Task Grpc_SinkFactoryThrows_Failed()
    {
        using var harness = new SessionHarness(new FlowApiOptions { RecordSinkFactory = (_, _) => throw new IOException("connection refused") });
        var table = harness.CreateTable();
        Fill(harness, table, 5);
        var id = harness.Start(BulkGetSessionMode.Grpc, 0, []);
        Assert.Equal((BulkGetSessionState.Failed, 0L), Assert.Single((await harness.FinishedAsync(id)).Finished));
        harness.AssertEachFinishedOnce();
    }

    [Fact]
    public async Task Grpc_CompletesWithEveryRecordInBatches()
    {
        using var harness = new SessionHarness(new FlowApiOptions { BulkGetRecordBatchSize = 7 });
        var table = harness.CreateTable();
        Fill(harness, table, 50);
        var id = harness.Start(BulkGetSessionMode.Grpc, 0, [harness.Filter(BulkGetFilterKey.KeyVersion, BulkGetFilterOp.GreaterThanOrEqualTo, 10)]);
        Assert.Equal((BulkGetSessionState.Completed, 40L), Assert.Single((await harness.FinishedAsync(id)).Finished));
        Assert.True(harness.Sinks.TryDequeue(out var sink));
        Assert.Equal(40, sink.Sink.Records.Count);
        Assert.Equal(6, sink.Sink.Batches);
        Assert.Equal((BulkGetSessionState.Completed, 40L), Assert.Single(sink.Sink.Completions));
        harness.AssertEachFinishedOnce();
    }

    [Fact]
    public async Task LiveSession_FilterTableAndSessionInUse_UntilFinished()
    {
        using var gate = new Gate();
        using var harness = new SessionHarness(new FlowApiOptions { BulkGetEventQueueCapacity = 1 });
        var full = harness.CreateTable(8192);
        var empty = harness.CreateTable(16);
        Fill(harness, full, 2000);
        var filter = harness.Filter(BulkGetFilterKey.KeyVersion, BulkGetFilterOp.LessThan, 100_000);
        var unused = harness.Filter(BulkGetFilterKey.DstL4Port, BulkGetFilterOp.EqualTo, 80);
        gate.Attach(harness);
        var id = harness.Start(BulkGetSessionMode.Event, 0, [filter]);
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var api = harness.Api;
        Assert.Equal(SaiStatus.ObjectInUse, api.RemoveFlowEntryBulkGetSessionFilter(filter));
        Assert.Equal(SaiStatus.ObjectInUse, api.SetFlowEntryBulkGetSessionFilterAttribute(filter, SaiAttribute.U64(BulkGetSessionFilterAttr.IntValue, 3)));
        Assert.Equal(SaiStatus.ObjectInUse, api.RemoveFlowTable(empty)); // empty, but the session scans every table
        Assert.Equal(SaiStatus.ObjectInUse, api.SetFlowEntryBulkGetSessionAttribute(id, SaiAttribute.U32(BulkGetSessionAttr.EntryLimitation, 5))); // D14
        Assert.Equal(SaiStatus.Success, api.RemoveFlowEntryBulkGetSessionFilter(unused));
        gate.Release();

        Assert.Equal(BulkGetSessionState.Completed, Assert.Single((await harness.FinishedAsync(id)).Finished).State);
        Assert.Equal(2000, harness.Log(id).Entries.Count);

        // Finished: the value is stored without effect (D14), and nothing is in use any more.
        Assert.Equal(SaiStatus.Success, api.SetFlowEntryBulkGetSessionAttribute(id, SaiAttribute.U32(BulkGetSessionAttr.EntryLimitation, 5)));
        SaiAttribute[] query =
        [
            SaiAttribute.Query(BulkGetSessionAttr.EntryLimitation),
            SaiAttribute.Query(BulkGetSessionAttr.Mode),
            SaiAttribute.Query(BulkGetSessionAttr.FirstFilterId),
            SaiAttribute.Query(BulkGetSessionAttr.SecondFilterId),
            SaiAttribute.Query(BulkGetSessionAttr.State),
            SaiAttribute.Query(BulkGetSessionAttr.EntriesDelivered),
            SaiAttribute.Query(BulkGetSessionAttr.RecordsScanned),
            SaiAttribute.Query(BulkGetSessionAttr.CreationTimeMs),
            SaiAttribute.Query(BulkGetSessionAttr.LastStateStartTimeMs),
        ];
        Assert.Equal(SaiStatus.Success, api.GetFlowEntryBulkGetSessionAttribute(id, query));
        Assert.Equal(5u, query[0].Value.AsU32);
        Assert.Equal((int)BulkGetSessionMode.Event, query[1].Value.AsS32);
        Assert.Equal(filter.Value, query[2].Value.AsOid);
        Assert.Equal(0UL, query[3].Value.AsOid);
        Assert.Equal((int)BulkGetSessionState.Completed, query[4].Value.AsS32);
        Assert.Equal(2000UL, query[5].Value.AsU64);
        Assert.Equal(2000UL, query[6].Value.AsU64);
        Assert.True(query[7].Value.AsU64 > 0 && query[7].Value.AsU64 <= query[8].Value.AsU64);
        Assert.Equal(SaiStatuses.InvalidAttribute(0), api.SetFlowEntryBulkGetSessionAttribute(id, SaiAttribute.S32(BulkGetSessionAttr.State, 0)));
        Assert.Equal(SaiStatus.Success, api.RemoveFlowEntryBulkGetSessionFilter(filter));
        Assert.Equal(SaiStatus.Success, api.RemoveFlowTable(empty));
        harness.AssertEachFinishedOnce();
    }

    [Fact]
    public async Task Churn_EntriesCreatedAndRemovedDuringTheScan_StableOnesExactlyOnce()
    {
        const int Stable = 4000;
        const int ChurnBase = 1_000_000;
        using var harness = new SessionHarness(new FlowApiOptions { BulkGetSliceRecords = 64, BulkGetEventQueueCapacity = 1 });
        var table = harness.CreateTable(16384);
        harness.Api.TryGetTable(table, out var engine);

        // Interleave stable and churn entries so freed records sit before and after the cursor.
        var churn = new Queue<int>();
        for (int i = 0; i < Stable; i++)
        {
            Assert.Equal(SaiStatus.Success, engine.Create(Key(i), new FlowState { IsUnidirectional = true }));
            Assert.Equal(SaiStatus.Success, engine.Create(Key(ChurnBase + i), new FlowState { IsUnidirectional = true }));
            churn.Enqueue(ChurnBase + i);
        }

        int next = ChurnBase + Stable;
        var random = new Random(7);
        var churnLock = new Lock();
        void ChurnSome(int operations)
        {
            lock (churnLock)
            {
                for (int op = 0; op < operations; op++)
                {
                    bool remove = churn.Count > 6000 || (churn.Count > 2000 && random.Next(2) == 0);
                    if (remove)
                    {
                        Assert.Equal(SaiStatus.Success, engine.Remove(Key(churn.Dequeue())));
                    }
                    else
                    {
                        Assert.Equal(SaiStatus.Success, engine.Create(Key(next), new FlowState { IsUnidirectional = true }));
                        churn.Enqueue(next++);
                    }
                }
            }
        }

        // The consumer changes the table after every batch (so churn surely overlaps the scan), and a writer thread too.
        harness.AfterBatch = (_, _) => ChurnSome(40);
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                ChurnSome(8);
            }
        });

        var id = harness.Start(BulkGetSessionMode.EventWithoutFlowState, 0, []);
        var log = await harness.FinishedAsync(id);
        await stop.CancelAsync();
        await writer;

        Assert.Equal(BulkGetSessionState.Completed, Assert.Single(log.Finished).State);
        var counts = log.Entries.GroupBy(e => e.Entry.Key).ToDictionary(g => g.Key, g => g.Count());
        for (int i = 0; i < Stable; i++)
        {
            Assert.True(counts.TryGetValue(Key(i), out int seen) && seen == 1, $"stable entry {i} delivered {seen} times");
        }

        Assert.All(counts.Keys, k => Assert.True(k.SrcIp.V4 - 0x0A00_0000u < (uint)next));
        harness.AssertEachFinishedOnce();
    }

    [Fact]
    public async Task SlowConsumer_QueueBounded_SessionWaitsInsteadOfBuffering()
    {
        using var gate = new Gate();
        const int Capacity = 2;
        using var harness = new SessionHarness(new FlowApiOptions { BulkGetEventQueueCapacity = Capacity });
        var table = harness.CreateTable(32768);
        Fill(harness, table, 20_000);
        gate.Attach(harness);
        var id = harness.Start(BulkGetSessionMode.EventWithoutFlowState, 0, []);
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // While the consumer holds its first batch, at most the queue's batches (plus that one) are delivered.
        long bound = (Capacity + 1) * 128;
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(SaiStatus.Success, harness.Api.GetBulkGetSessionStatus(id, out var status));
            Assert.Equal(BulkGetSessionState.InProgress, status.State);
            Assert.True(status.EntriesDelivered <= bound, $"{status.EntriesDelivered} delivered while the consumer is stalled");
            await Task.Delay(5);
        }

        gate.Release();
        Assert.Equal((BulkGetSessionState.Completed, 20_000L), Assert.Single((await harness.FinishedAsync(id)).Finished));
        harness.AssertEachFinishedOnce();
    }

    [Fact]
    public async Task Limit_StopsTheScanEarly_NoMoreThanTheLimit()
    {
        using var harness = new SessionHarness(new FlowApiOptions { BulkGetSliceRecords = 16 });
        var table = harness.CreateTable(8192);
        Fill(harness, table, 5000);
        var id = harness.Start(BulkGetSessionMode.Event, 3, []);
        Assert.Equal((BulkGetSessionState.Completed, 3L), Assert.Single((await harness.FinishedAsync(id)).Finished));
        Assert.Equal(SaiStatus.Success, harness.Api.GetBulkGetSessionStatus(id, out var status));
        Assert.True(status.RecordsScanned < 5000);
        Assert.Equal(3, harness.Log(id).Entries.Count);
        harness.AssertEachFinishedOnce();
    }

    [Fact]
    public async Task ImpossibleFilters_CompletesWithNothing()
    {
        using var harness = new SessionHarness();
        var table = harness.CreateTable();
        Fill(harness, table, 50);
        var id = harness.Start(BulkGetSessionMode.Event, 0,
        [
            harness.Filter(BulkGetFilterKey.KeyVersion, BulkGetFilterOp.LessThan, 10),
            harness.Filter(BulkGetFilterKey.KeyVersion, BulkGetFilterOp.GreaterThan, 20),
        ]);
        Assert.Equal((BulkGetSessionState.Completed, 0L), Assert.Single((await harness.FinishedAsync(id)).Finished));
        harness.AssertEachFinishedOnce();
    }
}
