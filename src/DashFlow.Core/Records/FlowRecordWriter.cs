using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using DashFlow.Model;

namespace DashFlow.Records;

/// <summary>
/// Writes a <c>SaiDashFlowEntry</c> straight into a span, with no allocation: the bytes are identical to what the
/// generated code writes for <see cref="FlowRecordCodec.ToMessage"/> (fields in number order, zero scalars, zero MACs,
/// 0.0.0.0 and same-family zero masks omitted, minimal varints), so readers cannot tell the two apart.
/// </summary>
public static class FlowRecordWriter
{
    /// <summary>An upper bound of the record's size without vendor metadata (with room for its tag and length).</summary>
    public const int MaxFixedSize = 512;

    /// <summary>An upper bound of the record's size with <paramref name="vendorMetadataLength"/> bytes of vendor metadata.</summary>
    public static int MaxSize(int vendorMetadataLength) => MaxFixedSize + vendorMetadataLength;

    /// <summary>Writes the record; <paramref name="destination"/> must hold <see cref="MaxSize"/> bytes.</summary>
    /// <returns>The number of bytes written.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Write(in FlowKey key, in FlowState state, ReadOnlySpan<byte> vendorMetadata, Span<byte> destination)
    {
        if (destination.Length < MaxSize(vendorMetadata.Length))
        {
            throw new ArgumentException("The destination is shorter than MaxSize(vendor metadata length).", nameof(destination));
        }

        int p = 0;
        WriteKey(destination, ref p, 0x0A, in key);
        WriteKey(destination, ref p, 0x12, in state.ReverseKey);
        destination[p++] = 0x1A;
        int lengthAt = p;
        p += 2; // room for a two-byte length (the state is under 16384 bytes), fixed up below
        int start = p;
        WriteState(destination, ref p, in key, in state, vendorMetadata);
        int length = p - start;
        if (length < 0x80)
        {
            destination.Slice(start, length).CopyTo(destination[(lengthAt + 1)..]);
            destination[lengthAt] = (byte)length;
            return p - 1;
        }

        destination[lengthAt] = (byte)(length | 0x80);
        destination[lengthAt + 1] = (byte)(length >> 7);
        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteKey(Span<byte> d, ref int p, byte tag, in FlowKey key)
    {
        d[p++] = tag;
        int lengthAt = p++;
        int start = p;
        d[p++] = 0x0A;
        d[p++] = 6;
        key.EniMac.WriteBytes(d[p..]);
        p += 6;
        Varint(d, ref p, 0x10, key.VnetId);
        Ip(d, ref p, 0x1A, key.SrcIp);
        Ip(d, ref p, 0x22, key.DstIp);
        Varint(d, ref p, 0x28, key.IpProtocol);
        Varint(d, ref p, 0x30, key.SrcPort);
        Varint(d, ref p, 0x38, key.DstPort);
        d[lengthAt] = (byte)(p - start); // at most 67 bytes
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteState(Span<byte> d, ref int p, in FlowKey key, in FlowState s, ReadOnlySpan<byte> vendorMetadata)
    {
        ref readonly var u0 = ref s.Rewrite.Underlay0;
        ref readonly var u1 = ref s.Rewrite.Underlay1;
        ref readonly var overlay = ref s.Rewrite.Overlay;
        Varint(d, ref p, 0x08, s.Version);
        Varint(d, ref p, 0x10, (uint)s.Direction);
        Varint(d, ref p, 0x18, (uint)s.Actions);
        Varint(d, ref p, 0x20, s.MeterClass);
        Varint(d, ref p, 0x28, s.IsUnidirectional ? 1u : 0u);
        Varint(d, ref p, 0x30, u0.VnetId);
        Ip(d, ref p, 0x3A, u0.Sip);
        Ip(d, ref p, 0x42, u0.Dip);
        Varint(d, ref p, 0x48, (uint)u0.Encapsulation);
        Varint(d, ref p, 0x50, u1.VnetId);
        Ip(d, ref p, 0x5A, u1.Sip);
        Ip(d, ref p, 0x62, u1.Dip);
        Mac(d, ref p, 0x6A, u1.Smac);
        Mac(d, ref p, 0x72, u1.Dmac);
        Varint(d, ref p, 0x78, (uint)u1.Encapsulation);
        Mac2(d, ref p, 0x82, overlay.DstMac);   // field 16
        Ip2(d, ref p, 0x8A, overlay.Sip);       // 17
        Ip2(d, ref p, 0x92, overlay.Dip);       // 18
        Mask(d, ref p, 0x9A, overlay.SipMask, overlay.Sip);  // 19
        Mask(d, ref p, 0xA2, overlay.DipMask, overlay.Dip);  // 20
        Mac2(d, ref p, 0xAA, u0.Smac);          // 21
        Mac2(d, ref p, 0xB2, u0.Dmac);          // 22
        if (s.SyncState != 0)
        {
            d[p++] = 0xB8;                        // 23
            d[p++] = 0x01;
            d[p++] = (byte)s.SyncState;
        }

        if (vendorMetadata.Length != 0)
        {
            d[p++] = 0xC2;                        // 24
            d[p++] = 0x01;
            RawVarint(d, ref p, (uint)vendorMetadata.Length);
            vendorMetadata.CopyTo(d[p..]);
            p += vendorMetadata.Length;
        }

        // 25, action, is always 0 and so omitted.
        if (key.IsV6)
        {
            d[p++] = 0xD0;                        // 26
            d[p++] = 0x01;
            d[p++] = (byte)IpAddressFamily.Ipv6;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Varint(Span<byte> d, ref int p, byte tag, uint value)
    {
        if (value != 0)
        {
            d[p++] = tag;
            RawVarint(d, ref p, value);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void RawVarint(Span<byte> d, ref int p, uint value)
    {
        while (value >= 0x80)
        {
            d[p++] = (byte)(value | 0x80);
            value >>= 7;
        }

        d[p++] = (byte)value;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Ip(Span<byte> d, ref int p, byte tag, IpAddress address)
    {
        if (FlowRecordCodec.IsOmitted(address))
        {
            return;
        }

        d[p++] = tag;
        IpBody(d, ref p, address);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Ip2(Span<byte> d, ref int p, byte tag, IpAddress address)
    {
        if (FlowRecordCodec.IsOmitted(address))
        {
            return;
        }

        d[p++] = tag;
        d[p++] = 0x01;
        IpBody(d, ref p, address);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void IpBody(Span<byte> d, ref int p, IpAddress address)
    {
        if (address.IsV6)
        {
            d[p++] = 20;
            d[p++] = 0x08;
            d[p++] = (byte)AddressFamilies.ProtoIpv6;
            d[p++] = 0x12;
            d[p++] = 16;
            BinaryPrimitives.WriteUInt64BigEndian(d[p..], address.High);
            BinaryPrimitives.WriteUInt64BigEndian(d[(p + 8)..], address.Low);
            p += 16;
        }
        else
        {
            d[p++] = 8;
            d[p++] = 0x08;
            d[p++] = (byte)AddressFamilies.ProtoIpv4;
            d[p++] = 0x12;
            d[p++] = 4;
            BinaryPrimitives.WriteUInt32BigEndian(d[p..], address.V4);
            p += 4;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Mac(Span<byte> d, ref int p, byte tag, MacAddress mac)
    {
        if (mac.IsZero)
        {
            return;
        }

        d[p++] = tag;
        MacBody(d, ref p, mac);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Mac2(Span<byte> d, ref int p, byte tag, MacAddress mac)
    {
        if (mac.IsZero)
        {
            return;
        }

        d[p++] = tag;
        d[p++] = 0x01;
        MacBody(d, ref p, mac);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MacBody(Span<byte> d, ref int p, MacAddress mac)
    {
        d[p++] = 8;
        d[p++] = 0x0A;
        d[p++] = 6;
        mac.WriteBytes(d[p..]);
        p += 6;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Mask(Span<byte> d, ref int p, byte tag, IpAddress mask, IpAddress address)
    {
        if (FlowRecordCodec.IsOmittedMask(mask, address))
        {
            return;
        }

        d[p++] = tag;
        d[p++] = 0x01;
        d[p++] = (byte)mask.ByteLength;
        p += mask.WriteBytes(d[p..]);
    }
}
