using DashFlow.Api;
using DashFlow.Ha.Inline;
using DashFlow.Ha.Roles;
using DashFlow.Ha.Standby;
using DashFlow.Model;
using DashFlow.Records;
using DashFlow.Server.Ha;
using Google.Protobuf;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Tests.Ha;

/// <summary>Clean launch, bulk sync and inline sync between two real agents on loopback (issue 6).</summary>
public sealed class HaSyncTests
{
    [Fact]
    public async Task CleanLaunch_LoadedActiveAndFreshStandby_StandbyEndsWithEveryFlow()
    {
        // Arrange
        await using var pair = new HaPair();
        var a = await pair.StartAAsync(HaDesiredState.Active);
        var table = HaPair.CreateTable(a.Api);
        HaPair.Load(a.Api, table, HaPair.NewEni(), 300_000);

        // Act
        var b = await pair.StartBAsync(HaDesiredState.Standby);
        await HaPair.WaitForPairAsync(a, b);

        // Assert
        HaPair.AssertSame(a, b, table);
        Assert.Equal(1UL, a.Ha!.Term);
        Assert.Equal(a.Ha.Term, b.Ha!.Term);
        Assert.All(HaPair.Snapshot(b.Api, table).Values, v => Assert.Equal(FlowSyncState.FlowSynced, v.Sync));
        Assert.True(b.Ha.Counters["bulk_sync_flows_received"] >= 20_000);
        Assert.True(a.Api.AgingEnabled);
        Assert.False(b.Api.AgingEnabled);
    }

    [Fact]
    public async Task InlineSync_CreatesUpdatesDeletes_StandbyMatchesAndActiveFlowsBecomeSynced()
    {
        // Arrange
        await using var pair = new HaPair();
        var a = await pair.StartAAsync(HaDesiredState.Active);
        var b = await pair.StartBAsync();
        await HaPair.WaitForPairAsync(a, b);
        var table = HaPair.CreateTable(a.Api);
        int eni = HaPair.NewEni();

        // Act: the typed bulk create (the NAT gateway's path), single creates, a set and removes
        HaPair.Load(a.Api, table, eni, 5_000);
        for (int i = 5_000; i < 5_100; i++)
        {
            Assert.Equal(SaiStatus.Success, a.Api.CreateFlowEntry(new FlowEntryAddress(table, HaPair.Key(eni, i)), HaPair.State(1)));
        }

        Assert.Equal(SaiStatus.Success, a.Api.SetFlowEntryAttribute(new FlowEntryAddress(table, HaPair.Key(eni, 7)), SaiAttribute.U32(FlowEntryAttr.Version, 9)));
        for (int i = 100; i < 200; i++)
        {
            Assert.Equal(SaiStatus.Success, a.Api.RemoveFlowEntry(new FlowEntryAddress(table, HaPair.Key(eni, i))));
        }

        await HaPair.WaitDrainedAsync(a);

        // Assert
        Assert.True(HaPair.Diff(a.Api, b.Api, table) == (0, 0, 0), $"{b.Ha!.Status()} tables {string.Join(",", b.Api.FlowTableIds)} vs {table}");
        var standby = HaPair.Snapshot(b.Api, table);
        Assert.Equal(5_000, standby.Count);
        Assert.Equal(9u, standby[HaPair.Key(eni, 7)].Version);
        await HaPair.WaitUntilAsync(() => HaPair.Snapshot(a.Api, table).Values.All(v => v.Sync == FlowSyncState.FlowSynced), "every acked flow SYNCED on the active");
        Assert.Equal(0, b.Ha!.Counters["inline_requests_failed"]);
    }

    [Fact]
    public async Task InlineStreamCut_UnderChurn_RestoredAndStandbyMatches()
    {
        // Arrange
        await using var pair = new HaPair();
        var a = await pair.StartAAsync(HaDesiredState.Active);
        var b = await pair.StartBAsync();
        await HaPair.WaitForPairAsync(a, b);
        var table = HaPair.CreateTable(a.Api);
        int eni = HaPair.NewEni();
        using var stop = new CancellationTokenSource();
        var churn = HaPair.OnThread(() => Churn(a.Api, table, eni, stop.Token));

        // Act
        for (int cut = 0; cut < 5; cut++)
        {
            await Task.Delay(150);
            a.Ha!.CutInlineStream();
        }

        await stop.CancelAsync();
        int made = await churn;
        await HaPair.WaitDrainedAsync(a);

        // Assert
        Assert.True(made > 0);
        Assert.True(a.Ha!.Counters["inline_stream_reconnects"] >= 1);
        HaPair.AssertSame(a, b, table);
    }

    [Fact]
    public async Task InlineBatch_OfASupersededStream_IsRefusedAndChangesNothing_TheNewestStreamsApplies()
    {
        // Arrange: a paired standby, and a one-create batch as the active's sender packs it
        await using var pair = new HaPair();
        var a = await pair.StartAAsync(HaDesiredState.Active);
        var b = await pair.StartBAsync();
        await HaPair.WaitForPairAsync(a, b);
        var table = HaPair.CreateTable(a.Api);
        HaPair.Load(a.Api, table, HaPair.NewEni(), 1); // the standby makes the table with its first change
        await HaPair.WaitDrainedAsync(a);
        var key = HaPair.Key(HaPair.NewEni(), 0);
        var (batch, packed) = OneCreateBatch(a.Api, table, key);
        Assert.True(b.Api.TryGetTable(table, out var standbyTable));

        // Act: a broken stream's handler applies its batch after the active's next stream started
        long broken = b.Ha!.BeginInlineStream();
        long resent = b.Ha.BeginInlineStream();
        var refused = b.Ha.ApplyInline(broken, batch, packed);
        bool presentAfterRefusal = standbyTable.Contains(in key);
        var acked = b.Ha.ApplyInline(resent, batch, packed);

        // Assert
        Assert.Null(refused);
        Assert.False(presentAfterRefusal);
        Assert.True(b.Ha.Counters["inline_batches_superseded"] >= 1);
        Assert.NotNull(acked);
        Assert.Equal([(byte)SyncResult.Applied], acked.Results.ToByteArray());
        Assert.True(standbyTable.Contains(in key));
    }

    [Fact]
    public async Task InlineBatch_OfAStreamOpenedBeforeThePeerWasLost_IsRefused()
    {
        // Arrange: a stream the standby accepted while paired
        await using var pair = new HaPair();
        var a = await pair.StartAAsync(HaDesiredState.Active);
        var b = await pair.StartBAsync();
        await HaPair.WaitForPairAsync(a, b);
        var table = HaPair.CreateTable(a.Api);
        HaPair.Load(a.Api, table, HaPair.NewEni(), 1);
        await HaPair.WaitDrainedAsync(a);
        var key = HaPair.Key(HaPair.NewEni(), 0);
        var (batch, packed) = OneCreateBatch(a.Api, table, key);
        long stream = b.Ha!.BeginInlineStream();

        // Act: the link is cut; the standby decides alone, then the stream's late batch arrives (a range or bulk sync
        // follows when the pair meets again, and this batch must not land after it)
        b.Ha.Partitioned = true;
        await HaPair.WaitUntilAsync(() => b.Ha.State == HaState.Standalone, () => $"standalone ({HaPair.Describe(b)})");
        var late = b.Ha.ApplyInline(stream, batch, packed);

        // Assert
        Assert.Null(late);
        Assert.True(b.Api.TryGetTable(table, out var standbyTable));
        Assert.False(standbyTable.Contains(in key));
    }

    /// <summary>An inline batch of one CREATE, packed as the active's sender packs it.</summary>
    private static (Proto.FlowSyncBatch Batch, ReadOnlyMemory<byte> Packed) OneCreateBatch(FlowApi api, FlowTableId table, FlowKey key)
    {
        var records = new FlowRecordBatch();
        records.Add(in key, HaPair.State(1), default);
        var batch = new Proto.FlowSyncBatch
        {
            FirstSeq = 1,
            PackedCount = 1,
            Ops = ByteString.CopyFrom((byte)SyncOp.Create),
            PackedEntries = ByteString.CopyFrom(records.Packed.Span),
            FlowTableId = table.Value,
            Table = HaTableSpec.Of(api, table)!.Value.ToMessage(),
        };
        return (batch, batch.PackedEntries.Memory);
    }

    [Fact]
    public async Task Aging_OnTheActiveRemovesTheFlowOnTheStandby_StandbyNeverAges()
    {
        // Arrange
        await using var pair = new HaPair();
        var a = await pair.StartAAsync(HaDesiredState.Active);
        var b = await pair.StartBAsync();
        await HaPair.WaitForPairAsync(a, b);
        var table = HaPair.CreateTable(a.Api, ttlMs: 100);
        int eni = HaPair.NewEni();
        HaPair.Load(a.Api, table, eni, 1_000);
        await HaPair.WaitDrainedAsync(a);
        await Task.Delay(400); // idle past the TTL on both sides

        // Act: both sweep; only the active marks; the application removes what aged (the NAT gateway cycle)
        Assert.True(b.Api.TryGetTable(table, out var standbyTable));
        Assert.Equal(0, standbyTable.SweepAgingFully());
        Assert.True(a.Api.TryGetTable(table, out var activeTable));
        Assert.Equal(1_000, activeTable.SweepAgingFully());
        for (int i = 0; i < 1_000; i++)
        {
            var key = HaPair.Key(eni, i);
            if (activeTable.IsMarkedAged(key))
            {
                Assert.Equal(SaiStatus.Success, a.Api.RemoveFlowEntry(new FlowEntryAddress(table, key)));
            }
        }

        await HaPair.WaitDrainedAsync(a);

        // Assert
        Assert.Equal(0, standbyTable.Count);
        Assert.Equal(0, standbyTable.AgedCount);
        Assert.Equal(1_000, b.Ha!.Counters["timed_requests_received"]);
        Assert.Equal(1_000, a.Ha!.Counters["timed_requests_sent"]);
    }

    /// <summary>Creates, updates (each with a higher version, as D7 expects of the application) and removes flows until
    /// stopped; returns how many it created.</summary>
    internal static int Churn(FlowApi api, FlowTableId table, int eni, CancellationToken stop)
    {
        int created = 0;
        uint version = 1;
        var random = new Random(eni);
        while (!stop.IsCancellationRequested)
        {
            if ((created & 255) == 0)
            {
                Thread.Sleep(1); // a busy application, not a spin: the pair shares the test's two cores
            }

            var key = HaPair.Key(eni, created);
            if (api.CreateFlowEntry(new FlowEntryAddress(table, key), HaPair.State(1)) == SaiStatus.Success)
            {
                created++;
            }

            int other = random.Next(Math.Max(created, 1));
            var address = new FlowEntryAddress(table, HaPair.Key(eni, other));
            if (random.Next(4) == 0)
            {
                api.RemoveFlowEntry(in address);
            }
            else
            {
                api.SetFlowEntryAttribute(in address, SaiAttribute.U32(FlowEntryAttr.Version, ++version));
            }
        }

        return created;
    }
}
