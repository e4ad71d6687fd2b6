using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace DashFlow.Model;

/// <summary>A 48-bit Ethernet MAC address, held in the low 48 bits of a ulong (first octet most significant).</summary>
public readonly struct MacAddress : IEquatable<MacAddress>, IComparable<MacAddress>
{
    private readonly ulong _value;

    /// <summary>Creates a MAC address from its 48-bit numeric value.</summary>
    public MacAddress(ulong value) => _value = value & 0xFFFF_FFFF_FFFFUL;

    /// <summary>The all-zero address, the SAI "vendor" default.</summary>
    public static MacAddress Zero => default;

    /// <summary>The address as a 48-bit number.</summary>
    public ulong Value => _value;

    /// <summary>True for 00:00:00:00:00:00.</summary>
    public bool IsZero => _value == 0;

    /// <summary>Reads six octets in wire order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static MacAddress FromBytes(ReadOnlySpan<byte> octets)
    {
        if (octets.Length != 6)
        {
            throw new ArgumentException("A MAC address has exactly 6 octets.", nameof(octets));
        }

        return new MacAddress(((ulong)BinaryPrimitives.ReadUInt16BigEndian(octets) << 32) | BinaryPrimitives.ReadUInt32BigEndian(octets[2..]));
    }

    /// <summary>Writes six octets in wire order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteBytes(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(_value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)_value);
    }

    /// <summary>The six octets in wire order.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[6];
        WriteBytes(bytes);
        return bytes;
    }

    /// <summary>Parses "aa:bb:cc:dd:ee:ff" (also with '-' separators).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out MacAddress mac)
    {
        mac = default;
        if (text.Length != 17)
        {
            return false;
        }

        ulong value = 0;
        for (int i = 0; i < 6; i++)
        {
            if (i > 0 && text[i * 3 - 1] is not (':' or '-'))
            {
                return false;
            }

            if (!byte.TryParse(text.Slice(i * 3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte octet))
            {
                return false;
            }

            value = (value << 8) | octet;
        }

        mac = new MacAddress(value);
        return true;
    }

    /// <summary>Parses a MAC address or throws <see cref="FormatException"/>.</summary>
    public static MacAddress Parse(string text) =>
        TryParse(text, out var mac) ? mac : throw new FormatException($"'{text}' is not a MAC address (expected aa:bb:cc:dd:ee:ff).");

    public bool Equals(MacAddress other) => _value == other._value;

    public override bool Equals(object? obj) => obj is MacAddress other && Equals(other);

    public override int GetHashCode() => _value.GetHashCode();

    public int CompareTo(MacAddress other) => _value.CompareTo(other._value);

    public static bool operator ==(MacAddress left, MacAddress right) => left.Equals(right);

    public static bool operator !=(MacAddress left, MacAddress right) => !left.Equals(right);

    public static bool operator <(MacAddress left, MacAddress right) => left.CompareTo(right) < 0;

    public static bool operator <=(MacAddress left, MacAddress right) => left.CompareTo(right) <= 0;

    public static bool operator >(MacAddress left, MacAddress right) => left.CompareTo(right) > 0;

    public static bool operator >=(MacAddress left, MacAddress right) => left.CompareTo(right) >= 0;

    public override string ToString() => string.Create(17, _value, static (span, v) =>
    {
        for (int i = 0; i < 6; i++)
        {
            byte octet = (byte)(v >> (40 - 8 * i));
            if (i > 0)
            {
                span[i * 3 - 1] = ':';
            }

            span[i * 3] = "0123456789abcdef"[octet >> 4];
            span[i * 3 + 1] = "0123456789abcdef"[octet & 0xF];
        }
    });
}
