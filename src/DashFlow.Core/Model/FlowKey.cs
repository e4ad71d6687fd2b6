using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DashFlow.Model;

/// <summary>
/// The exact-match flow key (D3): ENI MAC, VNET id, IP protocol, source and destination IP and L4 port.
/// </summary>
/// <remarks>
/// 48 bytes, the layout of the peers' key: [0..5] ENI MAC, [6..7] VNET id, [8..23] source IP, [24..39] destination IP,
/// [40..41] source port, [42..43] destination port, [44] protocol, [45] is-IPv6, [46..47] zero (the engine's record keeps
/// flags there, so key comparisons ignore them). IPv4 addresses sit in the last four address bytes. Multi-byte fields are
/// little-endian numbers in memory; address bytes are in network order.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct FlowKey : IEquatable<FlowKey>
{
    /// <summary>The key's size in bytes.</summary>
    public const int Size = 48;

    /// <summary>Bits of the last word that belong to the key (the top two bytes are record-owned padding).</summary>
    internal const ulong LastWordKeyBits = 0x0000_FFFF_FFFF_FFFFUL;

    [FieldOffset(0)] internal ulong W0;
    [FieldOffset(8)] internal ulong W1;
    [FieldOffset(16)] internal ulong W2;
    [FieldOffset(24)] internal ulong W3;
    [FieldOffset(32)] internal ulong W4;
    [FieldOffset(40)] internal ulong W5;

    /// <summary>Builds a key. Addresses of two families make a key that <see cref="HasConsistentFamily"/> reports, and that
    /// the Flow API refuses with INVALID_PARAMETER (D3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // inlined into the decoders' optimized code instead of waiting for tier-up
    public FlowKey(MacAddress eniMac, ushort vnetId, byte ipProtocol, IpAddress srcIp, IpAddress dstIp, ushort srcPort, ushort dstPort)
    {
        this = default;
        EniMac = eniMac;
        VnetId = vnetId;
        IpProtocol = ipProtocol;
        SetAddresses(srcIp, dstIp);
        SrcPort = srcPort;
        DstPort = dstPort;
        if (srcIp.IsV6 != dstIp.IsV6)
        {
            Bytes[47] = MixedFamilyMarker;
        }
    }

    // Byte 47 is outside the compared key bits; a key built from two families carries this marker there.
    private const byte MixedFamilyMarker = 0xFF;

    private readonly Span<byte> Bytes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => MemoryMarshal.CreateSpan(ref Unsafe.As<ulong, byte>(ref Unsafe.AsRef(in W0)), Size);
    }

    /// <summary>The ENI's MAC address.</summary>
    public MacAddress EniMac
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        readonly get => MacAddress.FromBytes(Bytes[..6]);
        set => value.WriteBytes(Bytes[..6]);
    }

    /// <summary>The VNET id (u16).</summary>
    public ushort VnetId
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        readonly get => BinaryPrimitives.ReadUInt16LittleEndian(Bytes[6..]);
        set => BinaryPrimitives.WriteUInt16LittleEndian(Bytes[6..], value);
    }

    /// <summary>The IP protocol number.</summary>
    public byte IpProtocol
    {
        readonly get => Bytes[44];
        set => Bytes[44] = value;
    }

    /// <summary>True when the addresses are IPv6.</summary>
    public readonly bool IsV6
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Bytes[45] != 0;
    }

    /// <summary>The source L4 port (for ICMP echo, the identifier: D4).</summary>
    public ushort SrcPort
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        readonly get => BinaryPrimitives.ReadUInt16LittleEndian(Bytes[40..]);
        set => BinaryPrimitives.WriteUInt16LittleEndian(Bytes[40..], value);
    }

    /// <summary>The destination L4 port (for ICMP echo, the identifier: D4).</summary>
    public ushort DstPort
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        readonly get => BinaryPrimitives.ReadUInt16LittleEndian(Bytes[42..]);
        set => BinaryPrimitives.WriteUInt16LittleEndian(Bytes[42..], value);
    }

    /// <summary>The source IP address.</summary>
    public readonly IpAddress SrcIp => ReadAddress(8);

    /// <summary>The destination IP address.</summary>
    public readonly IpAddress DstIp => ReadAddress(24);

    /// <summary>Sets both addresses; the key's family is the source's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetAddresses(IpAddress srcIp, IpAddress dstIp)
    {
        WriteAddress(8, srcIp);
        WriteAddress(24, dstIp);
        Bytes[45] = srcIp.IsV6 ? (byte)1 : (byte)0;
        Bytes[47] = srcIp.IsV6 == dstIp.IsV6 ? (byte)0 : MixedFamilyMarker;
    }

    /// <summary>Replaces the source address, keeping the destination (the family follows the new source).</summary>
    public void SetSrcIp(IpAddress srcIp) => SetAddresses(srcIp, DstIp);

    /// <summary>Replaces the destination address.</summary>
    public void SetDstIp(IpAddress dstIp) => SetAddresses(SrcIp, dstIp);

    /// <summary>The key with source and destination swapped: the key of the reply direction.</summary>
    public readonly FlowKey Reversed()
    {
        // Word-level swap of the layout: addresses trade places, and so do the two ports in the last word.
        FlowKey reversed;
        reversed.W0 = W0;
        reversed.W1 = W3;
        reversed.W2 = W4;
        reversed.W3 = W1;
        reversed.W4 = W2;
        reversed.W5 = (W5 & 0xFFFF_FFFF_0000_0000UL) | ((W5 & 0xFFFFUL) << 16) | ((W5 >> 16) & 0xFFFFUL);
        return reversed;
    }

    /// <summary>The address family of the key (D3: both addresses share it).</summary>
    public readonly IpAddressFamily Family => IsV6 ? IpAddressFamily.Ipv6 : IpAddressFamily.Ipv4;

    /// <summary>True when both addresses have the key's family: an IPv4 key keeps its address bytes 0..11 zero.</summary>
    public readonly bool HasConsistentFamily =>
        Bytes[47] != MixedFamilyMarker && (IsV6 || (W1 | W3 | (W2 & 0xFFFF_FFFFUL) | (W4 & 0xFFFF_FFFFUL)) == 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly IpAddress ReadAddress(int offset)
    {
        var span = Bytes.Slice(offset, 16);
        return IsV6
            ? IpAddress.FromV6(BinaryPrimitives.ReadUInt64BigEndian(span), BinaryPrimitives.ReadUInt64BigEndian(span[8..]))
            : IpAddress.FromV4(BinaryPrimitives.ReadUInt32BigEndian(span[12..]));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteAddress(int offset, IpAddress address)
    {
        var span = Bytes.Slice(offset, 16);
        if (address.IsV6)
        {
            BinaryPrimitives.WriteUInt64BigEndian(span, address.High);
            BinaryPrimitives.WriteUInt64BigEndian(span[8..], address.Low);
        }
        else
        {
            span[..12].Clear();
            BinaryPrimitives.WriteUInt32BigEndian(span[12..], address.V4);
        }
    }

    /// <summary>The key without the two padding bytes a flow record keeps its flags in (a copy read out of a record).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // per scanned record: must not wait for tier-up
    internal readonly FlowKey WithoutPadding()
    {
        FlowKey key = this;
        key.W5 &= LastWordKeyBits;
        return key;
    }

    /// <summary>The key with the fields outside <paramref name="enabled"/> zeroed (D3).</summary>
    public readonly FlowKey Masked(FlowEnabledKey enabled)
    {
        var mask = FlowKeyMask.For(enabled);
        return mask.Apply(in this);
    }

    public readonly bool Equals(FlowKey other) => KeyEquals(in this, in other);

    /// <summary>The two keys are equal, padding ignored: one 256-bit and one 128-bit compare where the CPU has them, so
    /// the table's probe that waits on a record's cache miss holds few instructions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool KeyEquals(in FlowKey a, in FlowKey b)
    {
        if (Vector256.IsHardwareAccelerated)
        {
            ref byte left = ref Unsafe.As<FlowKey, byte>(ref Unsafe.AsRef(in a));
            ref byte right = ref Unsafe.As<FlowKey, byte>(ref Unsafe.AsRef(in b));
            Vector256<ulong> low = Vector256.LoadUnsafe(ref left).AsUInt64() ^ Vector256.LoadUnsafe(ref right).AsUInt64();
            Vector128<ulong> high = (Vector128.LoadUnsafe(ref left, 32).AsUInt64() ^ Vector128.LoadUnsafe(ref right, 32).AsUInt64())
                & Vector128.Create(ulong.MaxValue, LastWordKeyBits);
            return (low | Vector256.Create(high, Vector128<ulong>.Zero)) == Vector256<ulong>.Zero;
        }

        return ((a.W0 ^ b.W0) | (a.W1 ^ b.W1) | (a.W2 ^ b.W2) | (a.W3 ^ b.W3) | (a.W4 ^ b.W4) | ((a.W5 ^ b.W5) & LastWordKeyBits)) == 0;
    }

    public override readonly bool Equals(object? obj) => obj is FlowKey other && Equals(other);

    public override readonly int GetHashCode() => (int)FlowKeyHash.Hash(in this);

    public static bool operator ==(FlowKey left, FlowKey right) => left.Equals(right);

    public static bool operator !=(FlowKey left, FlowKey right) => !left.Equals(right);

    public override readonly string ToString()
    {
        string src = IsV6 ? $"[{SrcIp}]" : SrcIp.ToString();
        string dst = IsV6 ? $"[{DstIp}]" : DstIp.ToString();
        return $"eni={EniMac} vnet={VnetId} proto={IpProtocol} {src}:{SrcPort} -> {dst}:{DstPort}";
    }
}

/// <summary>The six word masks that zero a key's disabled fields (D3); the family byte is always kept.</summary>
internal readonly struct FlowKeyMask
{
    private readonly ulong _m0, _m1, _m2, _m3, _m4, _m5;

    private FlowKeyMask(ulong m0, ulong m1, ulong m2, ulong m3, ulong m4, ulong m5)
    {
        (_m0, _m1, _m2, _m3, _m4, _m5) = (m0, m1, m2, m3, m4, m5);
    }

    public static FlowKeyMask For(FlowEnabledKey enabled)
    {
        ulong m0 = 0, m5 = 0x0000_FF00_0000_0000UL; // byte 45, the family, is always part of the key
        if ((enabled & FlowEnabledKey.EniMac) != 0) m0 |= 0x0000_FFFF_FFFF_FFFFUL;
        if ((enabled & FlowEnabledKey.Vni) != 0) m0 |= 0xFFFF_0000_0000_0000UL;
        ulong src = (enabled & FlowEnabledKey.SrcIp) != 0 ? ulong.MaxValue : 0;
        ulong dst = (enabled & FlowEnabledKey.DstIp) != 0 ? ulong.MaxValue : 0;
        if ((enabled & FlowEnabledKey.SrcPort) != 0) m5 |= 0xFFFFUL;
        if ((enabled & FlowEnabledKey.DstPort) != 0) m5 |= 0xFFFF_0000UL;
        if ((enabled & FlowEnabledKey.Protocol) != 0) m5 |= 0x00FF_0000_0000UL;
        return new FlowKeyMask(m0, src, src, dst, dst, m5);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public FlowKey Apply(in FlowKey key)
    {
        FlowKey masked;
        masked.W0 = key.W0 & _m0;
        masked.W1 = key.W1 & _m1;
        masked.W2 = key.W2 & _m2;
        masked.W3 = key.W3 & _m3;
        masked.W4 = key.W4 & _m4;
        masked.W5 = key.W5 & _m5;
        return masked;
    }
}

/// <summary>
/// The flow key hash. On x86, two independent hardware CRC32C chains over the six words (the instruction DPDK's rte_hash
/// uses), one for the bucket and one for the tag; elsewhere a wyhash-style multiply mix.
/// </summary>
internal static class FlowKeyHash
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mum(ulong a, ulong b)
    {
        UInt128 product = Math.BigMul(a, b); // the UInt128 form stays in registers (mulx); the out-parameter form spills
        return (ulong)(product >> 64) ^ (ulong)product;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(in FlowKey k)
    {
        if (Sse42.X64.IsSupported)
        {
            ulong w5 = k.W5 & FlowKey.LastWordKeyBits;
            ulong low = Sse42.X64.Crc32(Sse42.X64.Crc32(Sse42.X64.Crc32(Sse42.X64.Crc32(Sse42.X64.Crc32(Sse42.X64.Crc32(0x9E3779B9UL, k.W0), k.W1), k.W2), k.W3), k.W4), w5);
            ulong high = Sse42.X64.Crc32(Sse42.X64.Crc32(Sse42.X64.Crc32(Sse42.X64.Crc32(Sse42.X64.Crc32(Sse42.X64.Crc32(0x85EBCA6BUL, w5), k.W4), k.W3), k.W2), k.W1), k.W0);
            return (high << 32) | low;
        }

        return MultiplyHash(in k);
    }

    private static ulong MultiplyHash(in FlowKey k)
    {
        ulong h = Mum(k.W0 ^ 0xa0761d6478bd642f, k.W1 ^ 0xe7037ed1a0b428db)
                ^ Mum(k.W2 ^ 0x8ebc6af09c88c6e3, k.W3 ^ 0x589965cc75374cc3)
                ^ Mum(k.W4 ^ 0x2d358dccaa6c78a5, (k.W5 & FlowKey.LastWordKeyBits) ^ 0x8bb84b93962eacc9);
        return Mum(h ^ 0xa0761d6478bd642f, 48 ^ 0xe7037ed1a0b428db);
    }
}
