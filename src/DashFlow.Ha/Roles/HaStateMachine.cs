namespace DashFlow.Ha.Roles;

/// <summary>
/// The HA role state machine of one node (spec §4.7): a pure class with no clock, thread or transport of its own. Inputs
/// are events (a keepalive heard, a vote asked or answered, a bulk sync done, an operator request) and timer ticks with
/// the caller's time; each input returns the <see cref="HaActions"/> the transport must carry out. Not thread-safe: the
/// owner serializes inputs.
/// </summary>
public sealed class HaStateMachine
{
    private readonly HaTimings _timings;
    private long _lastHeardMs;
    private long _lastTickMs;
    private long _bulkSyncStartMs;
    private int _connectFailures;

    /// <summary>A machine in <see cref="HaState.Dead"/> with term 0.</summary>
    /// <param name="nodeId">This node's id (its address); the last election tie-break.</param>
    /// <param name="desired">The role the operator prefers.</param>
    /// <param name="timings">Keepalive, loss and timeout bounds.</param>
    public HaStateMachine(string nodeId, HaDesiredState desired, HaTimings? timings = null)
    {
        NodeId = nodeId;
        Desired = desired;
        _timings = timings ?? new HaTimings();
    }

    /// <summary>This node's id.</summary>
    public string NodeId { get; }

    /// <summary>The preferred role.</summary>
    public HaDesiredState Desired { get; }

    /// <summary>The current state.</summary>
    public HaState State { get; private set; }

    /// <summary>The term: raised whenever a deciding node gains or loses its peer; a standby takes the active's.</summary>
    public ulong Term { get; private set; }

    /// <summary>The peer's state as last heard (Dead before any).</summary>
    public HaState PeerState { get; private set; }

    /// <summary>The peer's term as last heard.</summary>
    public ulong PeerTerm { get; private set; }

    /// <summary>Raised on every state change with (from, to); runs inside the input that caused it.</summary>
    public event Action<HaState, HaState>? Transitioned;

    /// <summary>Starts probing the peer.</summary>
    public HaActions Start(long nowMs)
    {
        if (State != HaState.Dead)
        {
            return HaActions.None;
        }

        _lastHeardMs = nowMs;
        MoveTo(HaState.Connecting);
        return HaActions.SendHeartbeat;
    }

    /// <summary>A timer tick: keepalives, vote retries, peer-loss and bulk-sync-timeout checks.</summary>
    public HaActions Tick(long nowMs)
    {
        bool stalled = _lastTickMs != 0 && nowMs - _lastTickMs > _timings.PeerDeadMs / 2;
        _lastTickMs = nowMs;
        switch (State)
        {
            case HaState.Dead or HaState.Destroying:
                return HaActions.None;
            case HaState.Connecting or HaState.Standalone:
                return HaActions.SendHeartbeat;
            case HaState.Connected:
                return HaActions.SendHeartbeat | HaActions.SendVote;
        }

        if (stalled)
        {
            // This node itself did not run for a while (a pause, an overloaded host): the peer's keepalives may be queued,
            // so its silence is judged from the next tick, not this one.
            _lastHeardMs = Math.Max(_lastHeardMs, nowMs - _timings.PeerDeadMs / 2);
        }
        else if (nowMs - _lastHeardMs > _timings.PeerDeadMs)
        {
            return PeerLost();
        }

        if (State == HaState.InitializingToActive && nowMs - _bulkSyncStartMs > _timings.BulkSyncTimeoutMs)
        {
            return GoStandalone() | HaActions.CancelBulkSync | HaActions.SendStateChanged;
        }

        return HaActions.SendHeartbeat;
    }

    /// <summary>A keepalive failed (no answer in time, or the peer is not listening).</summary>
    public HaActions HeartbeatFailed(long nowMs)
    {
        _ = nowMs;
        if (State != HaState.Connecting)
        {
            return HaActions.None; // paired states judge loss by silence in Tick
        }

        if (++_connectFailures < _timings.ConnectRetries)
        {
            return HaActions.None;
        }

        return GoStandalone();
    }

    /// <summary>
    /// The peer was heard (a keepalive answered, or received with its <paramref name="peerNodeId"/>) in
    /// <paramref name="peerState"/> with <paramref name="peerTerm"/>. Two deciders that hear each other (a healed
    /// partition) settle it here: the lower term (then the higher node id) steps down and asks to rejoin as standby.
    /// </summary>
    public HaActions PeerHeard(long nowMs, HaState peerState, ulong peerTerm, string? peerNodeId = null)
    {
        _lastHeardMs = nowMs;
        PeerState = peerState;
        PeerTerm = peerTerm;
        if (State == HaState.Connecting && peerState != HaState.Destroying)
        {
            _connectFailures = 0;
            MoveTo(HaState.Connected);
            return HaActions.SendVote;
        }

        // The active dropped this node (its HA_STATE_CHANGED may never have arrived): rejoin through a bulk sync. A joining
        // node needs the higher term too, so a keepalive answered just before the vote that paired them is not taken as
        // that drop.
        if (peerState == HaState.Standalone && (State == HaState.Standby || (State == HaState.InitializingToStandby && peerTerm > Term)))
        {
            MoveTo(HaState.Connected);
            return HaActions.SendVote;
        }

        if (peerNodeId is not null && State.Decides() && peerState is HaState.Standalone or HaState.Active
            && (Term < peerTerm || (Term == peerTerm && string.CompareOrdinal(NodeId, peerNodeId) > 0)))
        {
            MoveTo(HaState.Connected);
            return HaActions.CancelBulkSync | HaActions.SendVote;
        }

        return HaActions.None;
    }

    /// <summary>
    /// The peer asks for a vote. Returns the answer and sets <paramref name="actions"/>. Higher term wins; equal terms go to
    /// the desired state, then to the lower node id; a node that already decides stays the decider and bulk-syncs the asker.
    /// </summary>
    public HaVote OnVoteRequest(long nowMs, ulong peerTerm, HaDesiredState peerDesired, string peerNodeId, out HaActions actions)
    {
        _lastHeardMs = nowMs;
        PeerTerm = peerTerm;
        PeerState = HaState.Connected;
        actions = HaActions.None;
        switch (State)
        {
            case HaState.Dead:
                return HaVote.RetryLater;
            case HaState.Connecting:
                _connectFailures = 0;
                MoveTo(HaState.Connected);
                actions = HaActions.SendVote;
                return HaVote.RetryLater;
            case HaState.Destroying:
                return HaVote.BecomeStandalone;
            case HaState.SwitchingToActive or HaState.SwitchingToStandby:
                return HaVote.RetryLater;
            case HaState.InitializingToActive:
                return HaVote.BecomeStandby; // already syncing this peer
            case HaState.Active or HaState.Standalone or HaState.Standby or HaState.InitializingToStandby:
                // The asker restarted (it asks only from Connected) and holds nothing: whoever holds the flows decides. A
                // standby here lost an active that came back faster than the loss was seen; it holds every acked flow.
                actions = BecomeInitializingToActive(nowMs, Math.Max(Term, peerTerm) + 1) | HaActions.CancelBulkSync;
                return HaVote.BecomeStandby;
        }

        // Connected on both sides: the election proper.
        bool localWins;
        if (Term != peerTerm)
        {
            localWins = Term > peerTerm;
        }
        else if (Desired != peerDesired && (Desired == HaDesiredState.Active || peerDesired == HaDesiredState.Standby))
        {
            localWins = true;
        }
        else if (Desired != peerDesired && (peerDesired == HaDesiredState.Active || Desired == HaDesiredState.Standby))
        {
            localWins = false;
        }
        else
        {
            int order = string.CompareOrdinal(NodeId, peerNodeId);
            if (order == 0)
            {
                return HaVote.RetryLater; // a misconfigured pair (same id) never settles
            }

            localWins = order < 0;
        }

        if (localWins)
        {
            actions = BecomeInitializingToActive(nowMs, Math.Max(Term, peerTerm) + 1);
            return HaVote.BecomeStandby;
        }

        actions = BecomeInitializingToStandby(peerTerm);
        return HaVote.BecomeActive;
    }

    /// <summary>The peer answered this node's RequestVote.</summary>
    public HaActions OnVoteReply(long nowMs, HaVote vote, ulong peerTerm)
    {
        if (State != HaState.Connected)
        {
            return HaActions.None; // the peer's own vote request settled it first
        }

        _lastHeardMs = nowMs;
        PeerTerm = peerTerm;
        return vote switch
        {
            HaVote.BecomeActive => BecomeInitializingToActive(nowMs, Math.Max(Term, peerTerm) + 1),
            HaVote.BecomeStandby => BecomeInitializingToStandby(peerTerm),
            HaVote.BecomeStandalone => GoStandalone(),
            _ => HaActions.None,
        };
    }

    /// <summary>This node's bulk sync of the peer ended (every table sent, or a failure).</summary>
    public HaActions OnBulkSyncFinished(bool succeeded)
    {
        if (State != HaState.InitializingToActive)
        {
            return HaActions.None;
        }

        return succeeded ? HaActions.SendBulkSyncCompleted : GoStandalone() | HaActions.SendStateChanged;
    }

    /// <summary>The peer acknowledged BULK_SYNC_COMPLETED: the pair is Active/Standby.</summary>
    public HaActions OnBulkSyncCompletedAck()
    {
        if (State != HaState.InitializingToActive)
        {
            return HaActions.None;
        }

        MoveTo(HaState.Active);
        return HaActions.SendStateChanged;
    }

    /// <summary>The active says its bulk sync is complete: this node is the standby, at the active's term.</summary>
    /// <returns>True when acknowledged (this node was receiving the bulk sync).</returns>
    public bool OnBulkSyncCompleted(ulong peerTerm)
    {
        if (State is HaState.Standby)
        {
            return true; // a repeated message: every action is idempotent
        }

        if (State != HaState.InitializingToStandby)
        {
            return false;
        }

        Term = peerTerm;
        MoveTo(HaState.Standby);
        return true;
    }

    /// <summary>The peer announced a new state and term (HA_STATE_CHANGED).</summary>
    public HaActions OnPeerStateChanged(long nowMs, HaState peerState, ulong peerTerm)
    {
        _lastHeardMs = nowMs;
        PeerState = peerState;
        PeerTerm = peerTerm;
        switch (State)
        {
            case HaState.Standby or HaState.SwitchingToStandby when peerState == HaState.Active:
                Term = peerTerm;
                MoveTo(HaState.Standby);
                return HaActions.None;
            case HaState.Standby or HaState.InitializingToStandby when peerState == HaState.Standalone:
                // The active dropped this node (a failed bulk sync or an inline overflow): ask to rejoin from scratch.
                MoveTo(HaState.Connected);
                return HaActions.SendVote;
            default:
                return HaActions.None;
        }
    }

    /// <summary>An operator asks this node (the standby) to take over without loss (planned switchover).</summary>
    /// <returns>The actions, or None when this node is not a standby.</returns>
    public HaActions RequestSwitchover()
    {
        if (State != HaState.Standby)
        {
            return HaActions.None;
        }

        MoveTo(HaState.SwitchingToActive);
        return HaActions.SendSwitchover;
    }

    /// <summary>The standby asks this node (the active) to hand over: it stops deciding and drains its inline sync; the
    /// transport answers once the drain finished.</summary>
    /// <returns>True when accepted.</returns>
    public bool OnSwitchoverRequest(long nowMs, out HaActions actions)
    {
        _lastHeardMs = nowMs;
        actions = HaActions.None;
        if (State == HaState.SwitchingToStandby)
        {
            actions = HaActions.DrainReplication;
            return true;
        }

        if (State != HaState.Active)
        {
            return false;
        }

        MoveTo(HaState.SwitchingToStandby);
        actions = HaActions.DrainReplication;
        return true;
    }

    /// <summary>The inline drain of a switchover did not finish in time: this node keeps deciding.</summary>
    public HaActions OnSwitchoverAborted()
    {
        if (State == HaState.SwitchingToStandby)
        {
            MoveTo(HaState.Active);
        }

        return HaActions.None;
    }

    /// <summary>The active answered this node's switchover request.</summary>
    public HaActions OnSwitchoverReply(bool accepted, ulong peerTerm)
    {
        if (State != HaState.SwitchingToActive)
        {
            return HaActions.None;
        }

        if (!accepted)
        {
            MoveTo(HaState.Standby);
            return HaActions.None;
        }

        Term = Math.Max(Term, peerTerm) + 1;
        MoveTo(HaState.Active);
        return HaActions.ResetReplication | HaActions.SendStateChanged;
    }

    /// <summary>An operator shuts this node down (planned): an active first drains its inline sync.</summary>
    public HaActions RequestShutdown()
    {
        if (State is HaState.Dead or HaState.Destroying)
        {
            return HaActions.None;
        }

        bool drains = State.Replicates();
        bool paired = State.IsPaired();
        MoveTo(HaState.Destroying);
        return HaActions.CancelBulkSync | (drains ? HaActions.DrainReplication : HaActions.None) | (paired ? HaActions.SendShutdown : HaActions.None);
    }

    /// <summary>The peer is shutting down (planned): this node decides alone, at once.</summary>
    public HaActions OnPeerShutdown()
    {
        PeerState = HaState.Destroying;
        if (!State.IsPaired() && State != HaState.Connected)
        {
            return HaActions.None;
        }

        return GoStandalone() | HaActions.CancelBulkSync;
    }

    /// <summary>The inline queue overflowed while the peer lagged: drop the peer and let it rejoin through a bulk sync.</summary>
    public HaActions OnReplicationOverflow()
    {
        if (!State.Replicates())
        {
            return HaActions.None;
        }

        return GoStandalone() | HaActions.CancelBulkSync | HaActions.SendStateChanged;
    }

    private HaActions PeerLost()
    {
        PeerState = HaState.Dead;
        return GoStandalone() | HaActions.CancelBulkSync;
    }

    private HaActions GoStandalone()
    {
        Term++; // a deciding node lost (or never had) its inline channel
        MoveTo(HaState.Standalone);
        return HaActions.None;
    }

    private HaActions BecomeInitializingToActive(long nowMs, ulong term)
    {
        Term = term;
        _bulkSyncStartMs = nowMs;
        MoveTo(HaState.InitializingToActive);
        return HaActions.ResetReplication | HaActions.StartBulkSync;
    }

    private HaActions BecomeInitializingToStandby(ulong peerTerm)
    {
        Term = peerTerm;
        MoveTo(HaState.InitializingToStandby);
        return HaActions.ClearTables;
    }

    private void MoveTo(HaState next)
    {
        var previous = State;
        if (previous == next)
        {
            return;
        }

        State = next;
        Transitioned?.Invoke(previous, next);
    }
}
