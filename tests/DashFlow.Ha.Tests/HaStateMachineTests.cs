using DashFlow.Ha.Roles;

namespace DashFlow.Ha.Tests;

/// <summary>Every transition of the pure HA state machine (spec §4.7), driven with events and ticks, no transport.</summary>
public sealed class HaStateMachineTests
{
    private static readonly HaTimings Timings = new() { HeartbeatIntervalMs = 100, PeerDeadMs = 600, ConnectRetries = 3, BulkSyncTimeoutMs = 5_000 };

    private static HaStateMachine Node(string id, HaDesiredState desired = HaDesiredState.None) => new(id, desired, Timings);

    /// <summary>Two machines wired directly: heartbeats heard, votes exchanged, bulk sync completed, as the transport would.</summary>
    private static (HaStateMachine Active, HaStateMachine Standby) CleanLaunch(HaStateMachine a, HaStateMachine b, long now = 0)
    {
        a.Start(now);
        b.Start(now);
        Assert.Equal(HaActions.SendVote, a.PeerHeard(now, b.State, b.Term));
        Assert.Equal(HaActions.SendVote, b.PeerHeard(now, a.State, a.Term));
        var vote = b.OnVoteRequest(now, a.Term, a.Desired, a.NodeId, out var bActions);
        a.OnVoteReply(now, vote, b.Term);
        var (active, standby) = a.State == HaState.InitializingToActive ? (a, b) : (b, a);
        Assert.Equal(HaState.InitializingToStandby, standby.State);
        Assert.Equal(HaActions.SendBulkSyncCompleted, active.OnBulkSyncFinished(succeeded: true));
        Assert.True(standby.OnBulkSyncCompleted(active.Term));
        Assert.Equal(HaActions.SendStateChanged, active.OnBulkSyncCompletedAck());
        return (active, standby);
    }

    [Fact]
    public void CleanLaunch_BothClean_WinnerActiveWithTermOne_LoserStandby()
    {
        // Arrange
        var a = Node("127.0.0.1:1");
        var b = Node("127.0.0.1:2");

        // Act
        var (active, standby) = CleanLaunch(a, b);

        // Assert
        Assert.Same(a, active); // equal terms, no preference: the lower node id wins
        Assert.Equal(HaState.Active, a.State);
        Assert.Equal(HaState.Standby, b.State);
        Assert.Equal(1UL, a.Term);
        Assert.Equal(1UL, b.Term);
        Assert.True(active.State.Decides());
        Assert.False(standby.State.Decides());
    }

    [Fact]
    public void Election_DesiredStateBreaksEqualTerms()
    {
        var (active, _) = CleanLaunch(Node("127.0.0.1:1", HaDesiredState.Standby), Node("127.0.0.1:2", HaDesiredState.Active));

        Assert.Equal("127.0.0.1:2", active.NodeId);
    }

    [Fact]
    public void Election_HigherTermWins()
    {
        // Arrange: b went standalone once (term 1) before a appeared
        var a = Node("127.0.0.1:1");
        var b = Node("127.0.0.1:2");
        a.Start(0);
        b.Start(0);
        for (int i = 0; i < Timings.ConnectRetries; i++)
        {
            b.HeartbeatFailed(0);
        }

        Assert.Equal(HaState.Standalone, b.State);
        Assert.Equal(1UL, b.Term);
        a.PeerHeard(10, b.State, b.Term);

        // Act: a (Connected, term 0) asks the standalone b
        var vote = b.OnVoteRequest(10, a.Term, a.Desired, a.NodeId, out var actions);
        a.OnVoteReply(10, vote, b.Term);

        // Assert: launch beside a standalone peer: the newcomer is bulk-synced as standby
        Assert.Equal(HaVote.BecomeStandby, vote);
        Assert.Equal(HaState.InitializingToActive, b.State);
        Assert.Equal(2UL, b.Term);
        Assert.True(actions.HasFlag(HaActions.StartBulkSync));
        Assert.Equal(HaState.InitializingToStandby, a.State);
    }

    [Fact]
    public void Election_SameNodeId_RetryLater()
    {
        var a = Node("x");
        var b = Node("x");
        a.Start(0);
        b.Start(0);
        a.PeerHeard(0, HaState.Connected, 0);
        b.PeerHeard(0, HaState.Connected, 0);

        Assert.Equal(HaVote.RetryLater, b.OnVoteRequest(0, 0, HaDesiredState.None, "x", out _));
        Assert.Equal(HaState.Connected, b.State);
    }

    [Fact]
    public void VoteRequest_WhileConnecting_RetryLaterAndConnects()
    {
        var b = Node("b");
        b.Start(0);

        var vote = b.OnVoteRequest(0, 0, HaDesiredState.None, "a", out var actions);

        Assert.Equal(HaVote.RetryLater, vote);
        Assert.Equal(HaState.Connected, b.State);
        Assert.Equal(HaActions.SendVote, actions);
    }

    [Fact]
    public void Connecting_AfterRetries_Standalone()
    {
        var a = Node("a");
        a.Start(0);
        a.HeartbeatFailed(100);
        a.HeartbeatFailed(200);
        Assert.Equal(HaState.Connecting, a.State);

        a.HeartbeatFailed(300);

        Assert.Equal(HaState.Standalone, a.State);
        Assert.True(a.State.Decides());
    }

    [Fact]
    public void PeerLoss_ActiveBecomesStandalone_StandbyBecomesStandalone_TermRaised()
    {
        // Arrange
        var (active, standby) = CleanLaunch(Node("a"), Node("b"));

        // Act: keepalives stop for longer than PeerDeadMs (ticks keep running)
        for (long t = 100; t <= 800; t += 100)
        {
            active.Tick(t);
        }

        // Assert
        Assert.Equal(HaState.Standalone, active.State);
        Assert.Equal(2UL, active.Term);

        // Act: the standby loses the active the same way (failover)
        for (long t = 100; t <= 800; t += 100)
        {
            standby.Tick(t);
        }

        Assert.Equal(HaState.Standalone, standby.State);
        Assert.True(standby.State.Decides());
    }

    [Fact]
    public void Keepalives_KeepThePairTogether()
    {
        var (active, standby) = CleanLaunch(Node("a"), Node("b"));

        for (long t = 100; t <= 5_000; t += 100)
        {
            Assert.Equal(HaActions.SendHeartbeat, active.Tick(t));
            standby.Tick(t);
            active.PeerHeard(t, standby.State, standby.Term);
            standby.PeerHeard(t, active.State, active.Term);
        }

        Assert.Equal(HaState.Active, active.State);
        Assert.Equal(HaState.Standby, standby.State);
    }

    [Fact]
    public void StalledNode_DoesNotDeclareLossOnTheTickItWakes()
    {
        var (active, _) = CleanLaunch(Node("a"), Node("b"));
        active.Tick(100);

        active.Tick(2_000); // the node itself did not run for 1.9 s

        Assert.Equal(HaState.Active, active.State);
        active.Tick(2_100);
        Assert.Equal(HaState.Active, active.State);
        for (long t = 2_200; t <= 2_400; t += 100)
        {
            active.Tick(t);
        }

        Assert.Equal(HaState.Standalone, active.State); // still silent a full window later: lost
    }

    [Fact]
    public void ReturnOfAFailedPeer_SurvivorBulkSyncsIt_AndGoesActive()
    {
        // Arrange: b survived a's death
        var (a, b) = CleanLaunch(Node("a"), Node("b"));
        for (long t = 100; t <= 800; t += 100)
        {
            b.Tick(t);
        }

        Assert.Equal(HaState.Standalone, b.State);
        ulong standaloneTerm = b.Term;
        var returning = Node("a");
        returning.Start(1_000);
        returning.PeerHeard(1_000, b.State, b.Term);

        // Act
        var vote = b.OnVoteRequest(1_000, returning.Term, returning.Desired, returning.NodeId, out var actions);
        returning.OnVoteReply(1_000, vote, b.Term);

        // Assert
        Assert.Equal(HaVote.BecomeStandby, vote);
        Assert.True(actions.HasFlag(HaActions.StartBulkSync));
        Assert.True(actions.HasFlag(HaActions.ResetReplication));
        Assert.Equal(HaState.InitializingToActive, b.State);
        Assert.True(b.State.Decides()); // the survivor keeps its traffic while it syncs
        Assert.Equal(HaState.InitializingToStandby, returning.State);
        Assert.Equal(HaActions.SendBulkSyncCompleted, b.OnBulkSyncFinished(true));
        Assert.True(returning.OnBulkSyncCompleted(b.Term));
        b.OnBulkSyncCompletedAck();
        Assert.Equal(HaState.Active, b.State);
        Assert.Equal(HaState.Standby, returning.State);
        Assert.True(b.Term > standaloneTerm);
        _ = a;
    }

    [Fact]
    public void BulkSyncFailedOrTimedOut_ActiveGoesStandalone_StandbyRejoins()
    {
        // Arrange
        var a = Node("a");
        var b = Node("b");
        a.Start(0);
        b.Start(0);
        a.PeerHeard(0, b.State, b.Term);
        b.PeerHeard(0, a.State, a.Term);
        var vote = b.OnVoteRequest(0, a.Term, a.Desired, a.NodeId, out _);
        a.OnVoteReply(0, vote, b.Term);

        // Act: the timeout passes while keepalives still flow
        HaActions actions = HaActions.None;
        for (long t = 100; t <= 5_200; t += 100)
        {
            a.PeerHeard(t, b.State, b.Term);
            actions |= a.Tick(t);
        }

        // Assert
        Assert.Equal(HaState.Standalone, a.State);
        Assert.True(actions.HasFlag(HaActions.CancelBulkSync));
        Assert.True(actions.HasFlag(HaActions.SendStateChanged));
        Assert.Equal(HaActions.SendVote, b.OnPeerStateChanged(5_200, a.State, a.Term));
        Assert.Equal(HaState.Connected, b.State); // never Standalone/Standalone: it asks to rejoin
    }

    [Fact]
    public void BulkSyncFailed_StateChangeLost_JoiningStandbyRejoinsOnTheNextKeepalive()
    {
        // Arrange: a standalone decider pairs with a joiner; a keepalive answer from before the vote is still in flight
        var a = Node("a");
        var b = Node("b");
        a.Start(0);
        a.PeerHeard(0, HaState.Connected, 0);
        a.OnVoteReply(0, HaVote.BecomeStandalone, 0);
        Assert.Equal(HaState.Standalone, a.State);
        (HaState state, ulong term) stale = (a.State, a.Term);
        b.Start(0);
        b.PeerHeard(0, a.State, a.Term);
        var vote = a.OnVoteRequest(0, b.Term, b.Desired, b.NodeId, out _);
        b.OnVoteReply(0, vote, a.Term);
        Assert.Equal(HaState.InitializingToStandby, b.State);

        // Act / Assert: the stale answer does not make the joiner start over
        Assert.Equal(HaActions.None, b.PeerHeard(10, stale.state, stale.term));
        Assert.Equal(HaState.InitializingToStandby, b.State);

        // Act: the bulk sync fails and the HA_STATE_CHANGED that says so is lost; the next keepalive answer carries it
        a.OnBulkSyncFinished(succeeded: false);
        var actions = b.PeerHeard(200, a.State, a.Term);

        // Assert: the joiner asks to rejoin instead of waiting in InitializingToStandby for a sync that never comes
        Assert.Equal(HaActions.SendVote, actions);
        Assert.Equal(HaState.Connected, b.State);
    }

    [Fact]
    public void FailedBulkSync_ActiveGoesStandalone()
    {
        var a = Node("a");
        var b = Node("b");
        a.Start(0);
        a.PeerHeard(0, HaState.Connected, 0);
        a.OnVoteReply(0, HaVote.BecomeActive, 0);

        Assert.Equal(HaActions.SendStateChanged, a.OnBulkSyncFinished(false));
        Assert.Equal(HaState.Standalone, a.State);
        _ = b;
    }

    [Fact]
    public void PlannedSwitchover_StandbyInitiated_NeverTwoDecidersAndNoBulkSync()
    {
        // Arrange
        var (active, standby) = CleanLaunch(Node("a"), Node("b"));
        var deciders = new List<int>();
        void Check() => deciders.Add((active.State.Decides() ? 1 : 0) + (standby.State.Decides() ? 1 : 0));

        // Act
        Assert.Equal(HaActions.SendSwitchover, standby.RequestSwitchover());
        Assert.Equal(HaState.SwitchingToActive, standby.State);
        Check();
        Assert.True(active.OnSwitchoverRequest(0, out var drain));
        Assert.Equal(HaActions.DrainReplication, drain);
        Assert.Equal(HaState.SwitchingToStandby, active.State);
        Check();
        var actions = standby.OnSwitchoverReply(accepted: true, active.Term);
        Check();
        active.OnPeerStateChanged(0, standby.State, standby.Term);
        Check();

        // Assert
        Assert.Equal(HaState.Active, standby.State);
        Assert.Equal(HaState.Standby, active.State);
        Assert.Equal(2UL, standby.Term);
        Assert.Equal(standby.Term, active.Term);
        Assert.False(actions.HasFlag(HaActions.StartBulkSync));
        Assert.All(deciders, d => Assert.True(d <= 1));
    }

    [Fact]
    public void PlannedSwitchover_AskedOfANonStandby_Refused()
    {
        var (active, _) = CleanLaunch(Node("a"), Node("b"));

        Assert.Equal(HaActions.None, active.RequestSwitchover());
        Assert.Equal(HaState.Active, active.State);
    }

    [Fact]
    public void PlannedSwitchover_DrainTimesOut_ActiveKeepsDeciding()
    {
        var (active, standby) = CleanLaunch(Node("a"), Node("b"));
        standby.RequestSwitchover();
        active.OnSwitchoverRequest(0, out _);

        active.OnSwitchoverAborted();
        standby.OnSwitchoverReply(accepted: false, active.Term);

        Assert.Equal(HaState.Active, active.State);
        Assert.Equal(HaState.Standby, standby.State);
    }

    [Fact]
    public void PlannedShutdown_ActiveDrainsAndTells_StandbyGoesStandaloneAtOnce()
    {
        var (active, standby) = CleanLaunch(Node("a"), Node("b"));

        var actions = active.RequestShutdown();
        standby.OnPeerShutdown();

        Assert.Equal(HaState.Destroying, active.State);
        Assert.True(actions.HasFlag(HaActions.DrainReplication));
        Assert.True(actions.HasFlag(HaActions.SendShutdown));
        Assert.Equal(HaState.Standalone, standby.State);
        Assert.False(active.State.Decides());
    }

    [Fact]
    public void PlannedShutdown_OfTheStandby_ActiveGoesStandalone()
    {
        var (active, standby) = CleanLaunch(Node("a"), Node("b"));

        var actions = standby.RequestShutdown();
        active.OnPeerShutdown();

        Assert.False(actions.HasFlag(HaActions.DrainReplication));
        Assert.Equal(HaState.Standalone, active.State);
    }

    [Fact]
    public void HealedPartition_TwoStandalones_LowerTermStepsDownAndRejoins()
    {
        // Arrange: both lost each other
        var (a, b) = CleanLaunch(Node("a"), Node("b"));
        for (long t = 100; t <= 800; t += 100)
        {
            a.Tick(t);
            b.Tick(t);
        }

        Assert.Equal(HaState.Standalone, a.State);
        Assert.Equal(HaState.Standalone, b.State);

        // Act: they hear each other again; equal terms: the higher node id steps down
        var aActions = a.PeerHeard(900, b.State, b.Term, b.NodeId);
        var bActions = b.PeerHeard(900, a.State, a.Term, a.NodeId);

        // Assert
        Assert.Equal(HaState.Standalone, a.State);
        Assert.Equal(HaActions.None, aActions);
        Assert.Equal(HaState.Connected, b.State);
        Assert.True(bActions.HasFlag(HaActions.SendVote));
        var vote = a.OnVoteRequest(900, b.Term, b.Desired, b.NodeId, out _);
        b.OnVoteReply(900, vote, a.Term);
        Assert.Equal(HaState.InitializingToStandby, b.State);
        Assert.Equal(HaState.InitializingToActive, a.State);
    }

    [Fact]
    public void ReplicationOverflow_ActiveDropsThePeer()
    {
        var (active, standby) = CleanLaunch(Node("a"), Node("b"));

        var actions = active.OnReplicationOverflow();
        var standbyActions = standby.OnPeerStateChanged(0, active.State, active.Term);

        Assert.Equal(HaState.Standalone, active.State);
        Assert.True(actions.HasFlag(HaActions.SendStateChanged));
        Assert.Equal(HaState.Connected, standby.State);
        Assert.Equal(HaActions.SendVote, standbyActions);
    }

    [Fact]
    public void Standby_ActiveRestartedFasterThanDetection_StandbyTakesOverAndSyncsIt()
    {
        var (active, standby) = CleanLaunch(Node("a"), Node("b"));

        var vote = standby.OnVoteRequest(10, 0, HaDesiredState.None, active.NodeId, out var actions);

        Assert.Equal(HaVote.BecomeStandby, vote);
        Assert.Equal(HaState.InitializingToActive, standby.State);
        Assert.True(actions.HasFlag(HaActions.StartBulkSync));
    }

    [Fact]
    public void Transitions_AreReported()
    {
        var a = Node("a");
        var seen = new List<(HaState, HaState)>();
        a.Transitioned += (from, to) => seen.Add((from, to));

        a.Start(0);
        a.PeerHeard(0, HaState.Connecting, 0);

        Assert.Equal([(HaState.Dead, HaState.Connecting), (HaState.Connecting, HaState.Connected)], seen);
    }
}
