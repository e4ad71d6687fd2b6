namespace DashFlow.Ha.Roles;

/// <summary>What the transport must do after a state-machine input. The state's own capabilities (deciding, aging,
/// replicating, accepting sync) are levels read from <see cref="HaStates"/>, not actions.</summary>
[Flags]
public enum HaActions
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Send a keepalive (HEARTBEAT) carrying state and term.</summary>
    SendHeartbeat = 1,

    /// <summary>Send RequestVote and feed the answer to <see cref="HaStateMachine.OnVoteReply"/>.</summary>
    SendVote = 2,

    /// <summary>Drop whatever inline changes are queued and start replicating afresh (a bulk sync follows and covers them).</summary>
    ResetReplication = 4,

    /// <summary>Start a bulk sync of every table to the peer.</summary>
    StartBulkSync = 8,

    /// <summary>Cancel a running bulk sync.</summary>
    CancelBulkSync = 16,

    /// <summary>Tell the peer the bulk sync is complete (BULK_SYNC_COMPLETED; its answer is the ack).</summary>
    SendBulkSyncCompleted = 32,

    /// <summary>Tell the peer the new state and term (HA_STATE_CHANGED).</summary>
    SendStateChanged = 64,

    /// <summary>Ask the active to hand over (PLANNED_SWITCHOVER).</summary>
    SendSwitchover = 128,

    /// <summary>Tell the peer this node is going away (PLANNED_SHUTDOWN).</summary>
    SendShutdown = 256,

    /// <summary>Empty every local table before accepting a bulk sync (perfect sync: the secondary starts empty).</summary>
    ClearTables = 512,

    /// <summary>Wait until every queued inline change is acked (before handing over or shutting down).</summary>
    DrainReplication = 1024,
}
