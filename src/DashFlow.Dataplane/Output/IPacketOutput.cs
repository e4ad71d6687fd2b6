namespace DashFlow.Dataplane.Output;

/// <summary>Where the pipeline sends the frames it emits (a port, a capture file, nowhere).</summary>
public interface IPacketOutput
{
    /// <summary>Takes one emitted frame; the span is only valid during the call.</summary>
    void Write(long timestampNanoseconds, ReadOnlySpan<byte> frame);
}
