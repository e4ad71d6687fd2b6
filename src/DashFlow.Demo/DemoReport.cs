using System.Text.Json;

namespace DashFlow.Demo;

/// <summary>What the demo did and whether every check held; printed at the end, as one JSON object with <c>--json</c>.</summary>
public sealed record DemoReport
{
    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>New connections the NAT gateway learned (each a forward and a reverse entry).</summary>
    public long ConnectionsLearned { get; init; }

    /// <summary>The most flow entries the deciding agent held at once.</summary>
    public long FlowsPeak { get; init; }

    /// <summary>Flow entries removed after the AGED bulk get found them idle.</summary>
    public long FlowsAged { get; init; }

    /// <summary>Flow entries removed by TCP teardown.</summary>
    public long FlowsClosed { get; init; }

    /// <summary>SNAT ports returned to the pool (aging and teardown).</summary>
    public long PortsFreed { get; init; }

    /// <summary>Connections refused because the port pool was empty.</summary>
    public long PortsExhausted { get; init; }

    /// <summary>Flow updates the standby acked on the inline stream.</summary>
    public long InlineSynced { get; init; }

    /// <summary>Flows the returning agent received by bulk sync.</summary>
    public long BulkSynced { get; init; }

    /// <summary>From killing the active to the standby deciding, in milliseconds.</summary>
    public double FailoverMs { get; init; }

    /// <summary>Flows the standby had acked but did not hold after the failover (must be 0).</summary>
    public long LostAckedFlows { get; init; }

    /// <summary>Differences between the two tables after recovery, as <c>ha diff</c> counts them (must be 0).</summary>
    public long DiffAfterRecovery { get; init; }

    /// <summary>Packets the data plane processed.</summary>
    public long Packets { get; init; }

    /// <summary>Wall-clock length of the whole demo in seconds.</summary>
    public double DurationS { get; init; }

    /// <summary>The seed of the traffic.</summary>
    public int Seed { get; init; }

    /// <summary>Every check, passed or not.</summary>
    public IReadOnlyList<DemoCheck> Checks { get; init; } = [];

    /// <summary>True when every check passed.</summary>
    public bool Passed => Checks.Count > 0 && Checks.All(c => c.Passed);

    /// <summary>The report as one JSON object (snake_case keys).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}
