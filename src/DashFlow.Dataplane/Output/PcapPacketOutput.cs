using DashFlow.Dataplane.Capture;

namespace DashFlow.Dataplane.Output;

/// <summary>Writes emitted frames to a pcap file (Ethernet, nanosecond timestamps as captured).</summary>
public sealed class PcapPacketOutput : IPacketOutput, IDisposable
{
    private readonly PcapWriter _writer;

    /// <summary>Writes to <paramref name="stream"/>.</summary>
    public PcapPacketOutput(Stream stream, bool leaveOpen = false)
        : this(new PcapWriter(stream, nanoseconds: true, leaveOpen: leaveOpen))
    {
    }

    private PcapPacketOutput(PcapWriter writer)
    {
        _writer = writer;
    }

    /// <summary>Creates (or replaces) the pcap file at <paramref name="path"/>.</summary>
    /// <exception cref="IOException">The file cannot be created.</exception>
    public static PcapPacketOutput Create(string path) => new(PcapWriter.Create(path, nanoseconds: true));

    /// <summary>Frames written.</summary>
    public long Frames => _writer.FrameCount;

    /// <inheritdoc />
    public void Write(long timestampNanoseconds, ReadOnlySpan<byte> frame) => _writer.Write(timestampNanoseconds, frame);

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose() => _writer.Dispose();
}
