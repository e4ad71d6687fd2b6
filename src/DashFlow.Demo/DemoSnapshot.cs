namespace DashFlow.Demo;

/// <summary>One agent as the live view shows it.</summary>
/// <param name="Name">The agent's name in the demo (dpu0, dpu1).</param>
/// <param name="Role">Its HA state, or "down".</param>
/// <param name="Flows">Flow entries in its table.</param>
public readonly record struct DemoAgentView(string Name, string Role, long Flows);

/// <summary>The figures of a running demo, taken at one moment for the live view and the progress lines.</summary>
public sealed record DemoSnapshot
{
    /// <summary>The current phase.</summary>
    public DemoPhase Phase { get; init; }

    /// <summary>Seconds since the traffic started.</summary>
    public double ElapsedSeconds { get; init; }

    /// <summary>Both agents.</summary>
    public IReadOnlyList<DemoAgentView> Agents { get; init; } = [];

    /// <summary>New connections learned per second over the last interval.</summary>
    public double ConnectionsPerSecond { get; init; }

    /// <summary>Connections learned so far.</summary>
    public long ConnectionsLearned { get; init; }

    /// <summary>Flow updates the active has sent inline and the standby has not acked yet.</summary>
    public long SyncLag { get; init; }

    /// <summary>Flows removed by aging so far.</summary>
    public long FlowsAged { get; init; }

    /// <summary>SNAT ports held right now.</summary>
    public long PortsInUse { get; init; }
}
