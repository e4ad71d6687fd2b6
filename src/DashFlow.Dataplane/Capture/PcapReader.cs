using System.Buffers.Binary;

namespace DashFlow.Dataplane.Capture;

/// <summary>Classic libpcap: 24-byte file header, 16-byte record headers; either byte order, µs or ns timestamps.</summary>
public sealed class PcapReader : CaptureReader
{
    internal const uint MagicMicroseconds = 0xA1B2C3D4;
    internal const uint MagicNanoseconds = 0xA1B23C4D;

    private readonly bool _bigEndian;
    private readonly bool _nanoseconds;

    internal PcapReader(Stream stream, bool leaveOpen, string name, bool bigEndian, bool nanoseconds)
        : base(stream, leaveOpen, name)
    {
        _bigEndian = bigEndian;
        _nanoseconds = nanoseconds;
    }

    public override CaptureFormat Format => CaptureFormat.Pcap;

    /// <summary>True when timestamps have nanosecond resolution.</summary>
    public bool IsNanosecond => _nanoseconds;

    /// <summary>True for a big-endian file.</summary>
    public bool IsBigEndian => _bigEndian;

    /// <summary>The file's link type.</summary>
    public int LinkType { get; private set; }

    /// <summary>The file's snap length.</summary>
    public int SnapLength { get; private set; }

    private protected override void Start(ReadOnlySpan<byte> magic)
    {
        Span<byte> header = stackalloc byte[20];
        ReadExactly(header, endAllowed: false, "the pcap file header");
        ushort major = U16(header);
        if (major != 2)
        {
            throw Malformed($"pcap version {major}.{U16(header[2..])} is not supported (expected 2.4)");
        }

        SnapLength = (int)Math.Min(U32(header[12..]), int.MaxValue);
        // The upper bits of the link-type field may carry FCS information (pcap-linktype(7)).
        LinkType = (int)(U32(header[16..]) & 0x0FFF_FFFF);
    }

    public override bool TryRead(out CaptureRecord record)
    {
        record = default;
        Span<byte> header = stackalloc byte[16];
        if (!ReadExactly(header, endAllowed: true, "a record header"))
        {
            return false;
        }

        uint seconds = U32(header);
        uint fraction = U32(header[4..]);
        uint captured = U32(header[8..]);
        uint original = U32(header[12..]);
        if (captured > MaxRecordLength)
        {
            throw Malformed($"record {FrameCount + 1} claims {captured} captured bytes (snap length {SnapLength}); the file is corrupt");
        }

        // A sub-second part past one second (sloppy writers) is kept as it is, like libpcap does: it only shifts the time.
        var buffer = Buffer((int)captured);
        ReadExactly(buffer.AsSpan(0, (int)captured), endAllowed: false, "a record's data");
        long nanoseconds = (seconds * 1_000_000_000L) + (_nanoseconds ? fraction : fraction * 1000L);
        FrameCount++;
        record = new CaptureRecord(nanoseconds, LinkType, (int)Math.Min(original, int.MaxValue), 0, buffer.AsSpan(0, (int)captured));
        return true;
    }

    private uint U32(ReadOnlySpan<byte> at) => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(at) : BinaryPrimitives.ReadUInt32LittleEndian(at);

    private ushort U16(ReadOnlySpan<byte> at) => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(at) : BinaryPrimitives.ReadUInt16LittleEndian(at);
}
