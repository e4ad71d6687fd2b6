using DashFlow.Api;
using DashFlow.Ha.Roles;
using DashFlow.Model;
using DashFlow.Server.Hosting;

namespace DashFlow.Server.Tests.Ha;

/// <summary>Range sync between two real agents on loopback (issue 6, spec §4.8): a standby cut off and returning with its
/// tables gets only what changed meanwhile, deletions included; a restarted or changed one gets a perfect sync.</summary>
public sealed class HaRangeSyncTests
{
    [Fact]
    public async Task PeerLinkCutUnderChurn_StandbyReturnsWithItsTables_RangeSyncAndNoDifference()
    {
        // Arrange
        await using var pair = new HaPair();
        var (active, standby) = await StartPairAsync(pair);
        var table = HaPair.CreateTable(active.Api);
        int loaded = HaPair.NewEni();
        HaPair.Load(active.Api, table, loaded, 20_000);
        await HaPair.WaitDrainedAsync(active);
        long perfectBefore = active.Ha!.Counters["bulk_syncs_completed"];
        using var stop = new CancellationTokenSource();
        var churn = HaPair.OnThread(() => HaSyncTests.Churn(active.Api, table, HaPair.NewEni(), stop.Token));
        await Task.Delay(300);

        // Act: the standby's link is cut (its process and tables stay); both sides decide alone for a while
        standby.Ha!.Partitioned = true;
        await HaPair.WaitUntilAsync(() => active.Ha.State == HaState.Standalone && standby.Ha.State == HaState.Standalone,
            () => $"both standalone ({HaPair.Describe(active)} / {HaPair.Describe(standby)})");
        ChangeDuringOutage(active.Api, table, loaded);
        await Task.Delay(300);
        standby.Ha.Partitioned = false;
        await HaPair.WaitForPairAsync(active, standby);
        await stop.CancelAsync();
        int made = await churn;
        await HaPair.WaitDrainedAsync(active);

        // Assert
        Assert.True(made > 0);
        HaPair.AssertSame(active, standby, table);
        var counters = active.Ha.Counters;
        Assert.True(counters["range_syncs_completed"] == 1, HaPair.Describe(active));
        Assert.Equal(perfectBefore, counters["bulk_syncs_completed"]);
        Assert.Equal(0, counters["range_sync_fallbacks"]);
        Assert.True(counters["range_sync_deletes_sent"] >= 500, HaPair.Describe(active));
        Assert.True(counters["range_sync_flows_sent"] >= 500, HaPair.Describe(active));
        Assert.Equal(counters["range_sync_flows_sent"], standby.Ha.Counters["range_sync_flows_received"]);
        Assert.Equal(counters["range_sync_deletes_sent"], standby.Ha.Counters["range_sync_deletes_received"]);
        Assert.Equal(0, standby.Ha.Counters["bulk_sync_flows_received"]);
    }

    [Fact]
    public async Task PeerLinkCut_StandbyChangedItsOwnTablesMeanwhile_PerfectSyncAndNoDifference()
    {
        // Arrange
        await using var pair = new HaPair();
        var (active, standby) = await StartPairAsync(pair);
        var table = HaPair.CreateTable(active.Api);
        int loaded = HaPair.NewEni();
        HaPair.Load(active.Api, table, loaded, 5_000);
        await HaPair.WaitDrainedAsync(active);
        long perfectBefore = active.Ha!.Counters["bulk_syncs_completed"];

        // Act: while cut off, the standby decided on its own (a flow only it has, one it removed)
        standby.Ha!.Partitioned = true;
        await HaPair.WaitUntilAsync(() => active.Ha.State == HaState.Standalone && standby.Ha.State == HaState.Standalone,
            () => $"both standalone ({HaPair.Describe(active)} / {HaPair.Describe(standby)})");
        ChangeDuringOutage(active.Api, table, loaded);
        Assert.Equal(SaiStatus.Success, standby.Api.CreateFlowEntry(new FlowEntryAddress(table, HaPair.Key(HaPair.NewEni(), 1)), HaPair.State(1)));
        Assert.Equal(SaiStatus.Success, standby.Api.RemoveFlowEntry(new FlowEntryAddress(table, HaPair.Key(loaded, 4_999))));
        standby.Ha.Partitioned = false;
        await HaPair.WaitForPairAsync(active, standby);
        await HaPair.WaitDrainedAsync(active);

        // Assert
        HaPair.AssertSame(active, standby, table);
        Assert.Equal(0, active.Ha.Counters["range_syncs_completed"]);
        Assert.Equal(perfectBefore + 1, active.Ha.Counters["bulk_syncs_completed"]);
        Assert.Equal(1, active.Ha.Counters["range_sync_fallbacks"]);
    }

    [Fact]
    public async Task StandbyRestartedEmpty_ActiveChangedMeanwhile_PerfectSyncAndNoDifference()
    {
        // Arrange
        await using var pair = new HaPair();
        var a = await pair.StartAAsync(HaDesiredState.Active);
        var b = await pair.StartBAsync();
        await HaPair.WaitForPairAsync(a, b);
        var table = HaPair.CreateTable(a.Api);
        int loaded = HaPair.NewEni();
        HaPair.Load(a.Api, table, loaded, 20_000);
        await HaPair.WaitDrainedAsync(a);
        long perfectBefore = a.Ha!.Counters["bulk_syncs_completed"];

        // Act
        await pair.KillAsync(b);
        await HaPair.WaitUntilAsync(() => a.Ha.State == HaState.Standalone, () => HaPair.Describe(a));
        ChangeDuringOutage(a.Api, table, loaded);
        b = await pair.StartBAsync();
        await HaPair.WaitForPairAsync(a, b);
        await HaPair.WaitDrainedAsync(a);

        // Assert
        HaPair.AssertSame(a, b, table);
        Assert.Equal(0, a.Ha.Counters["range_syncs_completed"]);
        Assert.Equal(perfectBefore + 1, a.Ha.Counters["bulk_syncs_completed"]);
        Assert.Equal(1, a.Ha.Counters["range_sync_fallbacks"]);
        Assert.True(b.Ha!.Counters["bulk_sync_flows_received"] >= 19_000);
    }

    /// <summary>Starts the pair so that the active has the lower node id: after a healed partition, where both sides went
    /// standalone with the same term, the higher node id (the standby) steps down and rejoins.</summary>
    private static async Task<(Agent Active, Agent Standby)> StartPairAsync(HaPair pair)
    {
        bool aLower = string.CompareOrdinal($"127.0.0.1:{pair.PortA}", $"127.0.0.1:{pair.PortB}") < 0;
        var active = aLower ? await pair.StartAAsync(HaDesiredState.Active) : await pair.StartBAsync(HaDesiredState.Active);
        var standby = aLower ? await pair.StartBAsync() : await pair.StartAAsync();
        await HaPair.WaitForPairAsync(active, standby);
        return (active, standby);
    }

    /// <summary>Removes 500 of the loaded flows, updates 500 others (higher version) and creates 500 new ones.</summary>
    private static void ChangeDuringOutage(FlowApi api, FlowTableId table, int loaded)
    {
        for (int i = 0; i < 500; i++)
        {
            Assert.Equal(SaiStatus.Success, api.RemoveFlowEntry(new FlowEntryAddress(table, HaPair.Key(loaded, i))));
            Assert.Equal(SaiStatus.Success, api.SetFlowEntryAttribute(new FlowEntryAddress(table, HaPair.Key(loaded, 500 + i)), SaiAttribute.U32(FlowEntryAttr.Version, 50)));
        }

        int fresh = HaPair.NewEni();
        for (int i = 0; i < 500; i++)
        {
            Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(new FlowEntryAddress(table, HaPair.Key(fresh, i)), HaPair.State(2)));
        }
    }
}
