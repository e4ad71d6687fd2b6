namespace DashFlow.Dataplane.Output;

/// <summary>Counts emitted frames and bytes and discards them (benchmarks, replays without --out).</summary>
public sealed class CountingPacketOutput : IPacketOutput
{
    /// <summary>Frames emitted.</summary>
    public long Frames { get; private set; }

    /// <summary>Bytes emitted.</summary>
    public long Bytes { get; private set; }

    /// <inheritdoc />
    public void Write(long timestampNanoseconds, ReadOnlySpan<byte> frame)
    {
        Frames++;
        Bytes += frame.Length;
    }
}
