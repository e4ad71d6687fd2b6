using DashFlow.Dataplane.Output;

namespace DashFlow.Dataplane.Tests.Pipeline;

/// <summary>Keeps a copy of every emitted frame.</summary>
internal sealed class RecordingOutput : IPacketOutput
{
    public List<byte[]> Frames { get; } = [];

    public void Write(long timestampNanoseconds, ReadOnlySpan<byte> frame) => Frames.Add(frame.ToArray());
}
