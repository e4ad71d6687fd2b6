using DashFlow.Api;
using DashFlow.Ha.Inline;
using DashFlow.Ha.Range;
using DashFlow.Ha.Standby;
using DashFlow.Model;

namespace DashFlow.Ha.Tests;

/// <summary>Range sync bookkeeping (spec §4.8): LocalFlowVer, ToSyncFlowVerMin/Max, the outage log with its deletions, and
/// the standby's range delete.</summary>
public sealed class OutageLogTests
{
    private static FlowKey Key(int n) => new(MacAddress.Parse("00:00:02:03:04:05"), 100, 6, IpAddress.FromV4(0x0A000000u | (uint)n), IpAddress.Parse("10.2.2.2"), 1234, 443);

    [Fact]
    public void Impact_StartsAndEnds_VersionsFollowTheSpec()
    {
        // Arrange
        var log = new OutageLog();

        // Act: impact starts, ends, starts again (a range sync that did not complete), ends
        log.BeginImpact(baseline: 7);
        uint first = log.LocalVersion;
        log.EndImpact();
        uint firstMax = log.Max;
        log.BeginImpact(baseline: 7);
        log.EndImpact();

        // Assert
        Assert.Equal(1u, first);
        Assert.Equal(1u, log.Min);
        Assert.Equal(1u, firstMax);
        Assert.Equal(3u, log.Max); // the second impact ran at LocalFlowVer 3; Min stays 1
        Assert.Equal(4u, log.LocalVersion);
        Assert.Equal(7UL, log.Baseline);
        Assert.True(log.CanRangeSync(7));
        Assert.False(log.CanRangeSync(6));
        Assert.False(log.CanRangeSync(0));

        // Act: bulk sync completed
        log.Completed();

        // Assert
        Assert.Equal(0u, log.Min);
        Assert.Equal(0u, log.Max);
        Assert.False(log.CanRangeSync(7));
    }

    [Fact]
    public void Changes_WhileRecording_LoggedWithDeletionsOnlyThen()
    {
        // Arrange
        var log = new OutageLog();
        log.Record(1, Key(0)); // before the impact: not logged

        // Act
        log.BeginImpact(baseline: 3);
        log.Record(1, Key(1));                 // created
        log.Record(1, Key(2));                 // created, then removed
        log.RecordRemoval(1, Key(2), 5);
        log.RecordRemoval(1, Key(3), 9);       // a pre-outage flow removed, created again, removed again at a lower version
        log.Record(1, Key(3));
        log.RecordRemoval(1, Key(3), 4);
        log.RecordRemoval(2, Key(1), 2);       // another table
        log.EndImpact();
        log.Record(1, Key(5));                 // after the impact ended, before the inline queue took over: still sent
        log.StopRecording();
        log.Record(1, Key(4));                 // after: inline sync covers it

        // Assert
        var entries = log.Take().ToDictionary(e => (e.TableId, e.Key));
        Assert.Equal(5, entries.Count);
        Assert.False(entries[(1, Key(1))].Deleted);
        Assert.Equal(log.Max + 1, entries[(1, Key(5))].Epoch);
        Assert.Equal((true, 5u), (entries[(1, Key(2))].Deleted, entries[(1, Key(2))].MaxDeletedVersion));
        Assert.Equal((true, 9u), (entries[(1, Key(3))].Deleted, entries[(1, Key(3))].MaxDeletedVersion));
        Assert.True(entries[(2, Key(1))].Deleted);
        Assert.False(log.IsClean);
        Assert.True(log.CanRangeSync(3));
    }

    [Fact]
    public void Overflow_MoreKeysThanCapacity_NoRangeSync()
    {
        // Arrange
        var log = new OutageLog(capacity: 2);
        log.BeginImpact(baseline: 3);

        // Act
        for (int i = 0; i < 3; i++)
        {
            log.Record(1, Key(i));
        }

        log.EndImpact();

        // Assert
        Assert.True(log.Overflowed);
        Assert.False(log.CanRangeSync(3));
        Assert.Empty(log.Take());
    }

    [Fact]
    public void NoBaseline_ChangesOnlyMarkTheLogNotClean()
    {
        // Arrange: a standby left alone logs whether its tables changed, not which keys
        var log = new OutageLog();
        log.BeginImpact(baseline: 0);
        Assert.True(log.IsClean);

        // Act
        log.RecordRemoval(1, Key(1), 1);
        log.EndImpact();

        // Assert
        Assert.False(log.IsClean);
        Assert.Equal(0, log.Count);
        Assert.False(log.CanRangeSync(0));
        log.Completed();
        Assert.True(log.IsClean);
    }

    [Fact]
    public void UnackedInlineChanges_Seeded_PartOfTheRange()
    {
        // Arrange: two changes queued on the active and never acked when the peer is lost
        using var api = new FlowApi();
        var counters = new HaCounters();
        var queue = new InlineSyncQueue(api, counters) { Enabled = true };
        queue.OnWritten(1, Key(1), new FlowState { Version = 2 }, default, created: true);
        queue.OnRemoved(1, Key(2), 6, aged: false);
        var log = new OutageLog();

        // Act
        log.BeginImpact(baseline: 4);
        queue.SeedPending(log);
        log.EndImpact();

        // Assert
        var entries = log.Take().ToDictionary(e => e.Key);
        Assert.False(entries[Key(1)].Deleted);
        Assert.Equal((true, 6u), (entries[Key(2)].Deleted, entries[Key(2)].MaxDeletedVersion));
    }

    [Fact]
    public void RangeDelete_HeldAtOrBelow_RemovedNewerKept()
    {
        // Arrange
        using var api = new FlowApi();
        Assert.Equal(SaiStatus.Success, api.CreateFlowTable(out var id, new HaTableSpec(1024, FlowEnabledKey.All, 0).ToAttributes()));
        Assert.True(api.TryGetTable(id, out var table));
        Assert.Equal(SaiStatus.Success, table.Create(Key(1), new FlowState { Version = 3 }, []));
        Assert.Equal(SaiStatus.Success, table.Create(Key(2), new FlowState { Version = 8 }, []));

        // Act
        var older = RangeSyncRules.DeleteAtOrBelow(table, Key(1), 5);
        var newer = RangeSyncRules.DeleteAtOrBelow(table, Key(2), 5);
        var absent = RangeSyncRules.DeleteAtOrBelow(table, Key(3), 5);

        // Assert
        Assert.Equal(SyncResult.Applied, older);
        Assert.Equal(SyncResult.IgnoredStaleVersion, newer);
        Assert.Equal(SyncResult.Applied, absent);
        Assert.NotEqual(SaiStatus.Success, table.Get(Key(1), out _, out _));
        Assert.Equal(SaiStatus.Success, table.Get(Key(2), out _, out _));
    }
}
