using System.Buffers.Binary;

namespace DashFlow.Dataplane.Capture;

/// <summary>Writes classic libpcap files (little-endian, microsecond or nanosecond timestamps).</summary>
public sealed class PcapWriter : IDisposable
{
    /// <summary>The default snap length (tcpdump's).</summary>
    public const int DefaultSnapLength = 262144;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly bool _nanoseconds;

    /// <summary>Writes the file header to <paramref name="stream"/>.</summary>
    public PcapWriter(Stream stream, int linkType = LinkTypes.Ethernet, bool nanoseconds = false, int snapLength = DefaultSnapLength, bool leaveOpen = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(snapLength);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _nanoseconds = nanoseconds;
        SnapLength = snapLength;
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, nanoseconds ? PcapReader.MagicNanoseconds : PcapReader.MagicMicroseconds);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], snapLength);
        BinaryPrimitives.WriteInt32LittleEndian(header[20..], linkType);
        _stream.Write(header);
    }

    /// <summary>Creates (or overwrites) a pcap file.</summary>
    public static PcapWriter Create(string path, int linkType = LinkTypes.Ethernet, bool nanoseconds = false) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16), linkType, nanoseconds);

    /// <summary>The snap length in the file header; longer frames are cut to it.</summary>
    public int SnapLength { get; }

    /// <summary>Frames written.</summary>
    public long FrameCount { get; private set; }

    /// <summary>Appends a frame.</summary>
    /// <param name="timestampNanoseconds">Nanoseconds since the Unix epoch (not negative).</param>
    /// <param name="frame">The frame's bytes.</param>
    /// <param name="originalLength">The length on the wire; the frame's length when negative.</param>
    public void Write(long timestampNanoseconds, ReadOnlySpan<byte> frame, int originalLength = -1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timestampNanoseconds);
        if (frame.Length > SnapLength)
        {
            frame = frame[..SnapLength];
        }

        Span<byte> header = stackalloc byte[16];
        long seconds = timestampNanoseconds / 1_000_000_000L;
        long fraction = timestampNanoseconds % 1_000_000_000L;
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)(_nanoseconds ? fraction : fraction / 1000));
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], frame.Length);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], Math.Max(originalLength, frame.Length));
        _stream.Write(header);
        _stream.Write(frame);
        FrameCount++;
    }

    /// <summary>Flushes buffered bytes.</summary>
    public void Flush() => _stream.Flush();

    /// <summary>Flushes and closes the stream unless it was opened with leaveOpen.</summary>
    public void Dispose()
    {
        _stream.Flush();
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }
}
