namespace DashFlow.Ha.Roles;

/// <summary>The HA timers, in milliseconds.</summary>
public sealed record HaTimings
{
    /// <summary>How often keepalives go out (and the state machine ticks).</summary>
    public int HeartbeatIntervalMs { get; init; } = 100;

    /// <summary>Silence after which a paired peer counts as lost (the failover budget is 2 s; DashFlow aims under 1 s).</summary>
    public int PeerDeadMs { get; init; } = 600;

    /// <summary>Failed probes while Connecting before the node goes standalone (spec: "after 3 failed retries"; probes
    /// are one per tick, so the default gives a starting peer about 3 s).</summary>
    public int ConnectRetries { get; init; } = 30;

    /// <summary>How long a bulk sync may run before it fails and the active goes standalone (SONiC: 120 s).</summary>
    public int BulkSyncTimeoutMs { get; init; } = 120_000;
}
