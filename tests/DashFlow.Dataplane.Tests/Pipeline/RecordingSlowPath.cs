using DashFlow.Api;
using DashFlow.Dataplane.Pipeline;
using DashFlow.Model;

namespace DashFlow.Dataplane.Tests.Pipeline;

/// <summary>A slow path that records what reaches it and answers with a fixed verdict (no flow is created).</summary>
internal sealed class RecordingSlowPath(SlowPathVerdict verdict = SlowPathVerdict.Ignored) : ISlowPath
{
    public List<FlowKey> Misses { get; } = [];

    public List<(FlowKey Key, ConnectionCloseReason Reason)> Closed { get; } = [];

    public List<long> Clock { get; } = [];

    public string Name => "recording";

    public bool LearnsAnyPacket { get; init; }

    public bool LearnsOtherIcmp { get; init; }

    public SlowPathVerdict OnMiss(in SlowPathRequest request)
    {
        Misses.Add(request.Key);
        return verdict;
    }

    public void OnConnectionClosed(FlowTableId table, in FlowKey key, ConnectionCloseReason reason) => Closed.Add((key, reason));

    public void OnClock(long nowMs) => Clock.Add(nowMs);
}
