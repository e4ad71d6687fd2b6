using System.Buffers.Binary;

namespace DashFlow.Dataplane.Capture;

/// <summary>One captured frame: valid until the next read from the same reader (the bytes live in the reader's buffer).</summary>
public readonly ref struct CaptureRecord
{
    /// <summary>Creates a record.</summary>
    public CaptureRecord(long timestampNanoseconds, int linkType, int originalLength, int interfaceId, ReadOnlySpan<byte> data)
    {
        TimestampNanoseconds = timestampNanoseconds;
        LinkType = linkType;
        OriginalLength = originalLength;
        InterfaceId = interfaceId;
        Data = data;
    }

    /// <summary>Capture time in nanoseconds since the Unix epoch.</summary>
    public long TimestampNanoseconds { get; }

    /// <summary>The interface's link type (<see cref="LinkTypes"/>); 1 is Ethernet.</summary>
    public int LinkType { get; }

    /// <summary>The frame's length on the wire (at least <see cref="Data"/>'s length unless the file lies).</summary>
    public int OriginalLength { get; }

    /// <summary>The pcapng interface id (0 for pcap).</summary>
    public int InterfaceId { get; }

    /// <summary>The captured bytes.</summary>
    public ReadOnlySpan<byte> Data { get; }
}

/// <summary>Link-layer header types (LINKTYPE_*).</summary>
public static class LinkTypes
{
    public const int Null = 0;
    public const int Ethernet = 1;
    public const int Raw = 101;
    public const int LinuxSll = 113;
}

/// <summary>The capture file format, detected from the magic number.</summary>
public enum CaptureFormat
{
    /// <summary>Classic libpcap (either byte order, microsecond or nanosecond timestamps).</summary>
    Pcap,

    /// <summary>pcapng.</summary>
    PcapNg,
}

/// <summary>A malformed or unsupported capture file; the message says where and what.</summary>
public sealed class CaptureFormatException : IOException
{
    public CaptureFormatException()
    {
    }

    public CaptureFormatException(string message)
        : base(message)
    {
    }

    public CaptureFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Reads pcap or pcapng captures (chosen by magic number, not file name), frame by frame, into one reused buffer.
/// </summary>
public abstract class CaptureReader : IDisposable
{
    /// <summary>The largest record accepted; bigger claims are treated as corruption.</summary>
    public const int MaxRecordLength = 16 * 1024 * 1024;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private byte[] _buffer = new byte[64 * 1024];

    private protected CaptureReader(Stream stream, bool leaveOpen, string name)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        Name = name;
    }

    /// <summary>The file name (or "stream"), for messages.</summary>
    public string Name { get; }

    /// <summary>The detected format.</summary>
    public abstract CaptureFormat Format { get; }

    /// <summary>The number of frames returned so far.</summary>
    public long FrameCount { get; private protected set; }

    /// <summary>Bytes consumed from the start of the file.</summary>
    public long Position { get; private set; }

    /// <summary>Opens a capture file.</summary>
    /// <exception cref="CaptureFormatException">The file is neither pcap nor pcapng, or its header is malformed.</exception>
    public static CaptureReader Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        try
        {
            return Open(stream, leaveOpen: false, Path.GetFileName(path));
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Opens a capture from a stream positioned at its start.</summary>
    public static CaptureReader Open(Stream stream, bool leaveOpen = false, string name = "stream")
    {
        Span<byte> magic = stackalloc byte[4];
        int read = ReadAtMost(stream, magic);
        if (read < 4)
        {
            throw new CaptureFormatException($"{name}: {read} bytes, too short for a capture file header.");
        }

        uint little = BinaryPrimitives.ReadUInt32LittleEndian(magic);
        CaptureReader reader = little switch
        {
            PcapReader.MagicMicroseconds or PcapReader.MagicNanoseconds => new PcapReader(stream, leaveOpen, name, bigEndian: false, nanoseconds: little == PcapReader.MagicNanoseconds),
            PcapNgReader.SectionHeaderType => new PcapNgReader(stream, leaveOpen, name),
            _ => BinaryPrimitives.ReadUInt32BigEndian(magic) switch
            {
                PcapReader.MagicMicroseconds or PcapReader.MagicNanoseconds => new PcapReader(stream, leaveOpen, name, bigEndian: true, nanoseconds: BinaryPrimitives.ReadUInt32BigEndian(magic) == PcapReader.MagicNanoseconds),
                _ => throw new CaptureFormatException($"{name}: unknown magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(magic):x8}; expected pcap (a1b2c3d4, a1b23c4d, either byte order) or pcapng (0a0d0d0a)."),
            },
        };
        reader.Position = 4;
        try
        {
            reader.Start(magic);
        }
        catch
        {
            reader.Dispose();
            throw;
        }

        return reader;
    }

    /// <summary>Reads the next frame.</summary>
    /// <returns>False at the end of the file.</returns>
    /// <exception cref="CaptureFormatException">The file is malformed or ends inside a record.</exception>
    public abstract bool TryRead(out CaptureRecord record);

    /// <summary>Reads the format's file header; <paramref name="magic"/> holds its first four bytes.</summary>
    private protected abstract void Start(ReadOnlySpan<byte> magic);

    /// <summary>A buffer of at least <paramref name="length"/> bytes, reused across records.</summary>
    private protected byte[] Buffer(int length)
    {
        if (_buffer.Length < length)
        {
            _buffer = new byte[Math.Max(length, _buffer.Length * 2)];
        }

        return _buffer;
    }

    /// <summary>Fills <paramref name="destination"/>; returns false at a clean end of file (nothing read when
    /// <paramref name="endAllowed"/>), throws when the file ends part-way. <paramref name="what"/> must be a constant: the
    /// per-record path allocates nothing.</summary>
    private protected bool ReadExactly(Span<byte> destination, bool endAllowed, string what)
    {
        int read = ReadAtMost(_stream, destination);
        Position += read;
        if (read == destination.Length)
        {
            return true;
        }

        if (read == 0 && endAllowed)
        {
            return false;
        }

        throw new CaptureFormatException($"{Name}: the file ends inside {what} (after frame {FrameCount}, at byte {Position}: {read} of {destination.Length} bytes).");
    }

    private protected CaptureFormatException Malformed(string message) =>
        new($"{Name}: {message} (after frame {FrameCount}, at byte {Position}).");

    private static int ReadAtMost(Stream stream, Span<byte> destination)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int read = stream.Read(destination[total..]);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    /// <summary>Disposes the stream unless it was opened with leaveOpen.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes the stream unless it was opened with leaveOpen.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing && !_leaveOpen)
        {
            _stream.Dispose();
        }
    }
}
