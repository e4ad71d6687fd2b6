using System.Buffers.Binary;

namespace DashFlow.Dataplane.Capture;

/// <summary>
/// pcapng: Section Header Blocks (either byte order, several sections), Interface Description Blocks (link type, snap length,
/// if_tsresol, if_tsoffset), Enhanced, Simple and obsolete Packet Blocks; other blocks are skipped.
/// </summary>
public sealed class PcapNgReader : CaptureReader
{
    internal const uint SectionHeaderType = 0x0A0D0D0A;
    private const uint ByteOrderMagic = 0x1A2B3C4D;
    private const uint InterfaceDescriptionType = 1;
    private const uint ObsoletePacketType = 2;
    private const uint SimplePacketType = 3;
    private const uint EnhancedPacketType = 6;

    private readonly List<Interface> _interfaces = [];
    private bool _bigEndian;

    internal PcapNgReader(Stream stream, bool leaveOpen, string name)
        : base(stream, leaveOpen, name)
    {
    }

    public override CaptureFormat Format => CaptureFormat.PcapNg;

    /// <summary>The interfaces of the current section, in id order.</summary>
    public int InterfaceCount => _interfaces.Count;

    /// <summary>The link type of interface <paramref name="id"/> in the current section.</summary>
    public int InterfaceLinkType(int id) => _interfaces[id].LinkType;

    private readonly record struct Interface(int LinkType, int SnapLength, bool BinaryResolution, int Exponent, long OffsetSeconds);

    private protected override void Start(ReadOnlySpan<byte> magic) => ReadSectionHeader();

    /// <summary>Reads an SHB after its (palindromic) block type.</summary>
    private void ReadSectionHeader()
    {
        Span<byte> head = stackalloc byte[8];
        ReadExactly(head, endAllowed: false, "a section header block");
        uint bom = BinaryPrimitives.ReadUInt32LittleEndian(head[4..]);
        if (bom == ByteOrderMagic)
        {
            _bigEndian = false;
        }
        else if (BinaryPrimitives.ReadUInt32BigEndian(head[4..]) == ByteOrderMagic)
        {
            _bigEndian = true;
        }
        else
        {
            throw Malformed($"section header block with byte-order magic 0x{bom:x8}, expected 1a2b3c4d");
        }

        uint length = U32(head);
        if (length < 28 || length % 4 != 0 || length > MaxRecordLength)
        {
            throw Malformed($"section header block length {length} is invalid");
        }

        int rest = (int)length - 12;
        var buffer = Buffer(rest);
        ReadExactly(buffer.AsSpan(0, rest), endAllowed: false, "a section header block");
        ushort major = U16(buffer);
        if (major != 1)
        {
            throw Malformed($"pcapng version {major} is not supported (expected 1.x)");
        }

        CheckTrailer(buffer.AsSpan(0, rest), length, SectionHeaderType);
        _interfaces.Clear();
    }

    public override bool TryRead(out CaptureRecord record)
    {
        record = default;
        Span<byte> head = stackalloc byte[8];
        while (true)
        {
            if (!ReadExactly(head[..4], endAllowed: true, "a block header"))
            {
                return false;
            }

            // The SHB type reads the same in both byte orders; a new section may switch the byte order.
            if (BinaryPrimitives.ReadUInt32LittleEndian(head) == SectionHeaderType)
            {
                ReadSectionHeader();
                continue;
            }

            ReadExactly(head[4..], endAllowed: false, "a block header");
            uint type = U32(head);
            uint length = U32(head[4..]);
            if (length < 12 || length % 4 != 0 || length > MaxRecordLength)
            {
                throw Malformed($"block of type 0x{type:x} has an invalid length {length}");
            }

            int bodyLength = (int)length - 12;
            var buffer = Buffer(bodyLength + 4);
            var block = buffer.AsSpan(0, bodyLength + 4);
            ReadExactly(block, endAllowed: false, "a block");
            CheckTrailer(block, length, type);
            var body = block[..bodyLength];
            switch (type)
            {
                case InterfaceDescriptionType:
                    _interfaces.Add(ParseInterface(body));
                    break;

                case EnhancedPacketType:
                    record = EnhancedPacket(body);
                    FrameCount++;
                    return true;

                case SimplePacketType:
                    record = SimplePacket(body);
                    FrameCount++;
                    return true;

                case ObsoletePacketType:
                    record = ObsoletePacket(body);
                    FrameCount++;
                    return true;

                default:
                    break; // name resolution, statistics, custom and unknown blocks
            }
        }
    }

    private void CheckTrailer(ReadOnlySpan<byte> block, uint length, uint type)
    {
        uint trailer = U32(block[^4..]);
        if (trailer != length)
        {
            throw Malformed($"block of type 0x{type:x} has length {length} but its trailing length is {trailer}");
        }
    }

    private Interface ParseInterface(ReadOnlySpan<byte> body)
    {
        if (body.Length < 8)
        {
            throw Malformed($"interface description block of {body.Length} body bytes is too short");
        }

        int linkType = U16(body);
        int snapLength = (int)Math.Min(U32(body[4..]), int.MaxValue);
        bool binary = false;
        int exponent = 6;
        long offsetSeconds = 0;
        var options = body[8..];
        while (options.Length >= 4)
        {
            ushort code = U16(options);
            ushort length = U16(options[2..]);
            if (code == 0)
            {
                break;
            }

            int padded = (length + 3) & ~3;
            if (options.Length - 4 < padded)
            {
                throw Malformed($"interface {_interfaces.Count} option {code} of length {length} runs past its block");
            }

            var value = options.Slice(4, length);
            if (code == 9 && length >= 1)
            {
                binary = (value[0] & 0x80) != 0;
                exponent = value[0] & 0x7F;
                if ((binary && exponent > 62) || (!binary && exponent > 18))
                {
                    throw Malformed($"interface {_interfaces.Count} has an unusable if_tsresol 0x{value[0]:x2}");
                }
            }
            else if (code == 14 && length >= 8)
            {
                offsetSeconds = (long)U64(value);
            }

            options = options[(4 + padded)..];
        }

        return new Interface(linkType, snapLength, binary, exponent, offsetSeconds);
    }

    private Interface InterfaceFor(uint id, string block)
    {
        if (id >= (uint)_interfaces.Count)
        {
            throw Malformed($"{block} {FrameCount + 1} names interface {id}, but the section describes {_interfaces.Count}");
        }

        return _interfaces[(int)id];
    }

    private CaptureRecord EnhancedPacket(ReadOnlySpan<byte> body)
    {
        if (body.Length < 20)
        {
            throw Malformed($"enhanced packet block {FrameCount + 1} of {body.Length} body bytes is too short");
        }

        uint id = U32(body);
        var iface = InterfaceFor(id, "enhanced packet block");
        ulong timestamp = ((ulong)U32(body[4..]) << 32) | U32(body[8..]);
        uint captured = U32(body[12..]);
        uint original = U32(body[16..]);
        if (captured > (uint)(body.Length - 20))
        {
            throw Malformed($"enhanced packet block {FrameCount + 1} claims {captured} captured bytes in a {body.Length}-byte body");
        }

        return new CaptureRecord(Nanoseconds(timestamp, iface), iface.LinkType, (int)Math.Min(original, int.MaxValue), (int)id, body.Slice(20, (int)captured));
    }

    private CaptureRecord ObsoletePacket(ReadOnlySpan<byte> body)
    {
        if (body.Length < 20)
        {
            throw Malformed($"packet block {FrameCount + 1} of {body.Length} body bytes is too short");
        }

        uint id = U16(body);
        var iface = InterfaceFor(id, "packet block");
        ulong timestamp = ((ulong)U32(body[4..]) << 32) | U32(body[8..]);
        uint captured = U32(body[12..]);
        uint original = U32(body[16..]);
        if (captured > (uint)(body.Length - 20))
        {
            throw Malformed($"packet block {FrameCount + 1} claims {captured} captured bytes in a {body.Length}-byte body");
        }

        return new CaptureRecord(Nanoseconds(timestamp, iface), iface.LinkType, (int)Math.Min(original, int.MaxValue), (int)id, body.Slice(20, (int)captured));
    }

    private CaptureRecord SimplePacket(ReadOnlySpan<byte> body)
    {
        if (body.Length < 4)
        {
            throw Malformed($"simple packet block {FrameCount + 1} of {body.Length} body bytes is too short");
        }

        var iface = InterfaceFor(0, "simple packet block");
        uint original = U32(body);
        long captured = Math.Min(original, body.Length - 4);
        if (iface.SnapLength > 0)
        {
            captured = Math.Min(captured, iface.SnapLength);
        }

        return new CaptureRecord(0, iface.LinkType, (int)Math.Min(original, int.MaxValue), 0, body.Slice(4, (int)captured));
    }

    private static long Nanoseconds(ulong timestamp, Interface iface)
    {
        long offset = iface.OffsetSeconds * 1_000_000_000L;
        if (iface.BinaryResolution)
        {
            ulong whole = iface.Exponent >= 64 ? 0 : timestamp >> iface.Exponent;
            ulong fraction = timestamp & ((1UL << iface.Exponent) - 1);
            var scaled = (UInt128)fraction * 1_000_000_000UL >> iface.Exponent;
            return offset + (long)(whole * 1_000_000_000UL) + (long)(ulong)scaled;
        }

        int exponent = iface.Exponent;
        if (exponent <= 9)
        {
            ulong factor = Pow10(9 - exponent);
            return offset + (long)(timestamp * factor);
        }

        return offset + (long)(timestamp / Pow10(exponent - 9));
    }

    private static ulong Pow10(int exponent)
    {
        ulong value = 1;
        for (int i = 0; i < exponent; i++)
        {
            value *= 10;
        }

        return value;
    }

    private uint U32(ReadOnlySpan<byte> at) => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(at) : BinaryPrimitives.ReadUInt32LittleEndian(at);

    private ushort U16(ReadOnlySpan<byte> at) => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(at) : BinaryPrimitives.ReadUInt16LittleEndian(at);

    private ulong U64(ReadOnlySpan<byte> at) => _bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(at) : BinaryPrimitives.ReadUInt64LittleEndian(at);
}
