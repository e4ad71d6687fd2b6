namespace DashFlow.Ha.Roles;

/// <summary>An HA node's state (spec §4.7, SS-HA §7). The values are DashFlow's (the wire carries them as uint32); the
/// PendingXxxActivation states of SS-HA wait for SDN approval, which DashFlow has no controller for, so they are omitted.</summary>
public enum HaState
{
    /// <summary>Not started.</summary>
    Dead = 0,

    /// <summary>Probing the configured peer.</summary>
    Connecting = 1,

    /// <summary>The peer answered; the election (RequestVote) runs.</summary>
    Connected = 2,

    /// <summary>Won the election: bulk-syncs the peer, replicates inline and keeps deciding.</summary>
    InitializingToActive = 3,

    /// <summary>Lost the election: receives the bulk sync and inline sync.</summary>
    InitializingToStandby = 4,

    /// <summary>Decides and replicates every change inline.</summary>
    Active = 5,

    /// <summary>Holds a synced copy; never decides, never ages.</summary>
    Standby = 6,

    /// <summary>Decides alone (the peer is gone, or never came).</summary>
    Standalone = 7,

    /// <summary>A standby that asked the active to hand over (planned switchover); not yet deciding.</summary>
    SwitchingToActive = 8,

    /// <summary>The active handing over: stopped deciding, finishing its inline sync.</summary>
    SwitchingToStandby = 9,

    /// <summary>Shutting down (planned).</summary>
    Destroying = 10,
}

/// <summary>What each state may do (spec §4.7's table, as DashFlow applies it).</summary>
public static class HaStates
{
    /// <summary>Creates, updates and removes flows (and ages them). InitializingToActive decides too, so a survivor keeps
    /// its traffic while it bulk-syncs a returning peer; at a clean launch it has nothing to decide on yet.</summary>
    public static bool Decides(this HaState state) => state is HaState.Active or HaState.Standalone or HaState.InitializingToActive;

    /// <summary>Replicates its changes to the peer inline.</summary>
    public static bool Replicates(this HaState state) => state is HaState.Active or HaState.InitializingToActive or HaState.SwitchingToStandby;

    /// <summary>Applies the peer's inline and bulk sync.</summary>
    public static bool AcceptsSync(this HaState state) =>
        state is HaState.InitializingToStandby or HaState.Standby or HaState.SwitchingToStandby or HaState.SwitchingToActive;

    /// <summary>Paired with a live peer: losing its keepalives is a peer loss.</summary>
    public static bool IsPaired(this HaState state) => state is HaState.InitializingToActive or HaState.InitializingToStandby
        or HaState.Active or HaState.Standby or HaState.SwitchingToActive or HaState.SwitchingToStandby;

    /// <summary>The lower-case name used by the CLI and metrics (e.g. initializing_to_active).</summary>
    public static string Name(this HaState state) => state switch
    {
        HaState.InitializingToActive => "initializing_to_active",
        HaState.InitializingToStandby => "initializing_to_standby",
        HaState.SwitchingToActive => "switching_to_active",
        HaState.SwitchingToStandby => "switching_to_standby",
        _ => state.ToString().ToLowerInvariant(),
    };
}
