using DashFlow.Ha.Roles;

namespace DashFlow.Server.Ha;

/// <summary>An agent's HA pairing: the peer agent's gRPC address, the preferred role and the timers.</summary>
public sealed record HaOptions
{
    /// <summary>The peer agent's gRPC endpoint, "host:port".</summary>
    public string Peer { get; init; } = string.Empty;

    /// <summary>The preferred role (breaks election ties).</summary>
    public HaDesiredState Desired { get; init; } = HaDesiredState.None;

    /// <summary>Keepalive, peer-loss and bulk-sync-timeout bounds.</summary>
    public HaTimings Timings { get; init; } = new();

    /// <summary>Changes per inline sync message.</summary>
    public int InlineBatch { get; init; } = 2048;

    /// <summary>Unacked inline changes allowed in flight.</summary>
    public int InlineWindow { get; init; } = 64 * 1024;

    /// <summary>Changes queued for a lagging peer before it is dropped (and rejoins through a bulk sync).</summary>
    public int MaxQueued { get; init; } = 4 << 20;

    /// <summary>How long a switchover or a planned shutdown waits for the inline queue to drain.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Keys the outage log keeps for a range sync; past that a returning standby gets a perfect sync.</summary>
    public int OutageLogCapacity { get; init; } = 1 << 20;
}
