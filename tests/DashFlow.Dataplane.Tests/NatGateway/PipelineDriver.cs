using DashFlow.Dataplane.Output;
using DashFlow.Dataplane.Pipeline;

namespace DashFlow.Dataplane.Tests.NatGateway;

/// <summary>What the pipeline did with one frame, read from its counters.</summary>
internal enum PipelineOutcome
{
    Forwarded,
    Malformed,
    MissDropped, // a miss DASH does not let create a flow (e.g. a TCP ACK), or another pipeline drop
    Ignored,
    Refused,
}

/// <summary>The real <see cref="FlowPipeline"/> one frame at a time, with the outcome and a copy of the emitted frame.</summary>
/// <remarks>Packet time is milliseconds on the fixture's clock: the first frame maps its time onto the clock's time.</remarks>
internal sealed class PipelineDriver : IPacketOutput
{
    private byte[] _last = [];

    public FlowPipeline Pipeline { get; private set; } = null!;

    public long Forwarded => Pipeline.Counters.Emitted;

    /// <summary>When set, every emitted frame is appended here too.</summary>
    public List<byte[]>? Recorded { get; set; }

    public static PipelineDriver Create(Func<IPacketOutput, FlowPipeline> pipeline)
    {
        var driver = new PipelineDriver();
        driver.Pipeline = pipeline(driver);
        return driver;
    }

    public PipelineOutcome Process(ReadOnlySpan<byte> frame, long nowMs, out byte[] emitted)
    {
        var c = Pipeline.Counters;
        long parsed = c.Parsed, sent = c.Emitted, refused = c.SlowPathRefused, ignored = c.SlowPathIgnored;
        _last = [];
        Pipeline.Process(frame, nowMs * 1_000_000);
        emitted = _last;
        return c.Emitted > sent ? PipelineOutcome.Forwarded
            : c.Parsed == parsed ? PipelineOutcome.Malformed
            : c.SlowPathRefused > refused ? PipelineOutcome.Refused
            : c.SlowPathIgnored > ignored ? PipelineOutcome.Ignored
            : PipelineOutcome.MissDropped;
    }

    void IPacketOutput.Write(long timestampNanoseconds, ReadOnlySpan<byte> frame)
    {
        _last = frame.ToArray();
        Recorded?.Add(_last);
    }
}
