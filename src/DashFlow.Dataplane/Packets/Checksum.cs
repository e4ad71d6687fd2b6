using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace DashFlow.Dataplane.Packets;

/// <summary>The Internet checksum (RFC 1071) and its incremental update (RFC 1624).</summary>
public static class Checksum
{
    /// <summary>Adds the bytes as big-endian 16-bit words to a running one's-complement sum (not folded, not inverted).</summary>
    /// <remarks>An odd length is padded with a zero byte, so only the last chunk of a message may be odd.</remarks>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            ulong word = BinaryPrimitives.ReadUInt64BigEndian(data[i..]);
            sum += (word >> 32) + (word & 0xFFFF_FFFFUL);
        }

        for (; i + 2 <= data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (ulong)data[i] << 8;
        }

        return sum;
    }

    /// <summary>Folds a running sum to 16 bits (end-around carry) without inverting it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Fold(ulong sum)
    {
        sum = (sum & 0xFFFF_FFFFUL) + (sum >> 32);
        sum = (sum & 0xFFFF_FFFFUL) + (sum >> 32);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>The checksum of the bytes: the inverted folded sum.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data, ulong initial = 0) => (ushort)~Fold(Add(initial, data));

    /// <summary>The sum of the TCP/UDP/ICMPv6 pseudo-header (addresses, protocol, L4 length).</summary>
    public static ulong PseudoHeaderSum(ReadOnlySpan<byte> srcAddress, ReadOnlySpan<byte> dstAddress, byte protocol, int l4Length)
    {
        ulong sum = Add(Add(0, srcAddress), dstAddress);
        return sum + protocol + (uint)(l4Length >> 16) + (uint)(l4Length & 0xFFFF);
    }

    /// <summary>RFC 1624 eqn. 3: the checksum after a 16-bit word changed from <paramref name="oldWord"/> to <paramref name="newWord"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Update(ushort checksum, ushort oldWord, ushort newWord) =>
        (ushort)~Fold((ulong)(ushort)~checksum + (ushort)~oldWord + newWord);

    /// <summary>The checksum after the bytes <paramref name="oldBytes"/> (even length) were replaced by <paramref name="newBytes"/>.</summary>
    public static ushort Update(ushort checksum, ReadOnlySpan<byte> oldBytes, ReadOnlySpan<byte> newBytes)
    {
        ulong sum = (ushort)~checksum;
        for (int i = 0; i + 2 <= oldBytes.Length; i += 2)
        {
            sum += (ushort)~BinaryPrimitives.ReadUInt16BigEndian(oldBytes[i..]);
            sum += BinaryPrimitives.ReadUInt16BigEndian(newBytes[i..]);
        }

        return (ushort)~Fold(sum);
    }
}
