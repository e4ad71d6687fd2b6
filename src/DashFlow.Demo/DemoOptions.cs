namespace DashFlow.Demo;

/// <summary>What <c>dashflow demo</c> runs: the traffic, its length and the table size.</summary>
public sealed record DemoOptions
{
    /// <summary>Wall-clock length of the traffic phases (learning, failover, carrying on); setup and checks come on top.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(40);

    /// <summary>New connections per second offered by the generator.</summary>
    public int ConnectionsPerSecond { get; init; } = 30_000;

    /// <summary>MAX_FLOW_COUNT of each agent's NAT table (entries: two per connection).</summary>
    public int MaxFlows { get; init; } = 2_000_000;

    /// <summary>Seed of the traffic generator: the same seed gives the same connections.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Idle timeout of NAT flows in traffic milliseconds.</summary>
    public uint FlowTtlMs { get; init; } = 5_000;

    /// <summary>A capture to drive the demo with instead of the generator, or null.</summary>
    public string? PcapPath { get; init; }

    /// <summary>When the active is failed over, as a fraction of <see cref="Duration"/>.</summary>
    public double FailoverAt { get; init; } = 0.5;
}
