using DashFlow.Engine;

namespace DashFlow.Api;

/// <summary>How a <see cref="FlowApi"/> instance (one switch/device) is set up.</summary>
public sealed record FlowApiOptions
{
    /// <summary>What this instance supports; a partial implementation turns features off.</summary>
    public FlowCapabilities Capabilities { get; init; } = FlowCapabilities.Full;

    /// <summary>The aging clock every table of this device uses: wall time unless replay or tests drive it.</summary>
    public FlowClock Clock { get; init; } = FlowClock.Wall();
}
