using DashFlow.Api;
using DashFlow.Ha.Inline;
using DashFlow.Ha.Standby;
using DashFlow.Model;
using DashFlow.Records;

namespace DashFlow.Ha.Tests;

/// <summary>The active's inline queue over a backlog spanning many ring segments: order, window, acks, rewind and reset.</summary>
public sealed class InlineSyncQueueTests : IDisposable
{
    private readonly FlowApi _api = new();
    private readonly Engine.FlowTable _table;
    private readonly InlineSyncQueue _queue;

    public InlineSyncQueueTests()
    {
        Assert.Equal(SaiStatus.Success, _api.CreateFlowTable(out var id, new HaTableSpec(65_536, FlowEnabledKey.All, 0).ToAttributes()));
        Assert.True(_api.TryGetTable(id, out _table));
        _queue = new InlineSyncQueue(_api, new HaCounters()) { Enabled = true, Window = 3_000 };
        _queue.Attach();
    }

    public void Dispose() => _api.Dispose();

    private static FlowKey Key(int n) => new(MacAddress.Parse("00:00:02:03:04:05"), 100, 6, IpAddress.FromV4(0x0A000000u | (uint)n), IpAddress.Parse("10.2.2.2"), 1234, 443);

    private static FlowState State(uint version) => new() { Version = version, Direction = FlowDirection.Outbound, IsUnidirectional = true };

    private void CreateFlows(int from, int to)
    {
        for (int n = from; n < to; n++)
        {
            Assert.Equal(SaiStatus.Success, _table.Create(Key(n), State(1)));
        }
    }

    /// <summary>Takes one batch; returns its first sequence number and the key numbers in order.</summary>
    private (long FirstSeq, List<int> Keys) Take(int max)
    {
        var records = new FlowRecordBatch();
        var ops = new byte[max];
        int taken = _queue.TakeBatch(records, ops, max, out long firstSeq, out _);
        var collector = new KeyCollector { Keys = new List<int>(taken) };
        records.ForEach(ref collector);
        Assert.Equal(taken, collector.Keys.Count);
        Assert.All(ops.AsSpan(0, taken).ToArray(), op => Assert.Equal((byte)SyncOp.Create, op));
        return (firstSeq, collector.Keys);
    }

    private static byte[] Applied(int count) => new byte[count]; // SyncResult.Applied is 0

    [Fact]
    public void Backlog_OverManySegments_SentInOrderWithinTheWindow_AckedFlowsSynced()
    {
        // Arrange: a backlog of several ring segments, partly acked while more is queued
        CreateFlows(0, 10_000);

        // Act
        var sent = new List<int>();
        long expectedSeq = 1;
        int created = 10_000;
        while (_queue.Pending > 0)
        {
            var (first, keys) = Take(1_000);
            var (second, more) = Take(4_000); // the window (3,000 unacked) cuts this one short
            Assert.Equal(expectedSeq, first);
            Assert.Equal(first + keys.Count, second);
            Assert.True(keys.Count + more.Count <= 3_000);
            sent.AddRange(keys);
            sent.AddRange(more);
            _queue.Ack(first, Applied(keys.Count + more.Count));
            expectedSeq = first + keys.Count + more.Count;
            if (created < 20_000)
            {
                CreateFlows(created, created + 2_500);
                created += 2_500;
            }
        }

        // Assert
        Assert.Equal(Enumerable.Range(0, 20_000), sent);
        for (int n = 0; n < 20_000; n += 997)
        {
            Assert.Equal(SaiStatus.Success, _table.Get(Key(n), out var state, out _));
            Assert.Equal(FlowSyncState.FlowSynced, state.SyncState);
        }
    }

    [Fact]
    public void Rewind_ResendsFromTheFirstUnacked_Reset_ForgetsAndKeepsQueueing()
    {
        // Arrange
        CreateFlows(0, 9_000);
        var (first, keys) = Take(2_000);
        Take(1_000);
        _queue.Ack(first, Applied(1_500));

        // Act: the stream broke
        _queue.Rewind();
        var (again, resent) = Take(500);

        // Assert
        Assert.Equal(first + 1_500, again);
        Assert.Equal(keys.Skip(1_500), resent);

        // Act: the peer is lost; everything queued is forgotten, later changes queue from a segment boundary on
        _queue.Reset();
        Assert.Equal(0, _queue.Pending);
        CreateFlows(9_000, 9_000 + 4_096 + 10);
        var (next, after) = Take(3_000);

        // Assert
        Assert.Equal(first + 9_000, next);
        Assert.Equal(Enumerable.Range(9_000, 3_000), after);
        Assert.Equal(4_106, _queue.Pending);
    }

    private struct KeyCollector : IFlowRecordVisitor
    {
        public List<int> Keys;

        public readonly void Visit(in FlowKey key, in FlowState state, byte[] vendorMetadata) =>
            Keys.Add((int)(key.SrcIp.Low & 0xFFFFFF));
    }
}
