using DashFlow.Model;
using DashFlow.Server.Services;

namespace DashFlow.Server.Hosting;

/// <summary>The agent's bounds: a request over one gets a clear error instead of taking the agent down.</summary>
public sealed record AgentLimits
{
    /// <summary>The largest gRPC message accepted or sent, in bytes.</summary>
    public int MaxMessageBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>The most objects one bulk call may carry.</summary>
    public int MaxBulkObjects { get; init; } = 100_000;

    /// <summary>Refuses a bulk call over the bound with INVALID_ARGUMENT naming the bound.</summary>
    public void CheckBulk(int count, string operation)
    {
        if (count > MaxBulkObjects)
        {
            throw SaiStatusMapping.ToException(SaiStatus.InvalidParameter, $"{operation}: {count} objects exceed the bulk limit of {MaxBulkObjects}");
        }
    }
}
