using System.Buffers.Binary;
using System.Net;

namespace DashFlow.Model;

/// <summary>An IPv4 or IPv6 address as a value: 128 bits (IPv4 in the low 32) and a family flag.</summary>
/// <remarks>Ordering compares the address as an unsigned number within one family (D13); IPv4 sorts before IPv6.</remarks>
public readonly struct IpAddress : IEquatable<IpAddress>, IComparable<IpAddress>
{
    private readonly ulong _high;
    private readonly ulong _low;
    private readonly bool _isV6;

    private IpAddress(ulong high, ulong low, bool isV6)
    {
        _high = high;
        _low = low;
        _isV6 = isV6;
    }

    /// <summary>0.0.0.0, the SAI default for IP attributes.</summary>
    public static IpAddress AnyV4 => default;

    /// <summary>::</summary>
    public static IpAddress AnyV6 => new(0, 0, true);

    /// <summary>True for an IPv6 address.</summary>
    public bool IsV6 => _isV6;

    /// <summary>The SAI address family (IPV4 0, IPV6 1).</summary>
    public IpAddressFamily Family => _isV6 ? IpAddressFamily.Ipv6 : IpAddressFamily.Ipv4;

    /// <summary>The first 64 bits of the 128-bit form (zero for IPv4).</summary>
    public ulong High => _high;

    /// <summary>The last 64 bits of the 128-bit form (the IPv4 address in the low 32 bits).</summary>
    public ulong Low => _low;

    /// <summary>True for 0.0.0.0 or ::.</summary>
    public bool IsZero => (_high | _low) == 0;

    /// <summary>The number of address octets: 4 or 16.</summary>
    public int ByteLength => _isV6 ? 16 : 4;

    /// <summary>An IPv4 address from its 32-bit value (first octet most significant).</summary>
    public static IpAddress FromV4(uint address) => new(0, address, false);

    /// <summary>An IPv6 address from its two 64-bit halves (network order).</summary>
    public static IpAddress FromV6(ulong high, ulong low) => new(high, low, true);

    /// <summary>Reads 4 (IPv4) or 16 (IPv6) octets in network order.</summary>
    public static bool TryFromBytes(ReadOnlySpan<byte> octets, out IpAddress address)
    {
        switch (octets.Length)
        {
            case 4:
                address = FromV4(BinaryPrimitives.ReadUInt32BigEndian(octets));
                return true;
            case 16:
                address = FromV6(BinaryPrimitives.ReadUInt64BigEndian(octets), BinaryPrimitives.ReadUInt64BigEndian(octets[8..]));
                return true;
            default:
                address = default;
                return false;
        }
    }

    /// <summary>Reads 4 or 16 octets, or throws <see cref="ArgumentException"/>.</summary>
    public static IpAddress FromBytes(ReadOnlySpan<byte> octets) =>
        TryFromBytes(octets, out var address) ? address : throw new ArgumentException("An IP address has 4 or 16 octets.", nameof(octets));

    /// <summary>The IPv4 value; only meaningful when <see cref="IsV6"/> is false.</summary>
    public uint V4 => (uint)_low;

    /// <summary>Writes 4 or 16 octets in network order; returns the count written.</summary>
    public int WriteBytes(Span<byte> destination)
    {
        if (!_isV6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)_low);
            return 4;
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
        return 16;
    }

    /// <summary>The address octets in network order.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[ByteLength];
        WriteBytes(bytes);
        return bytes;
    }

    /// <summary>Parses dotted IPv4 or IPv6 text.</summary>
    public static bool TryParse(string? text, out IpAddress address)
    {
        address = default;
        if (text is null || !IPAddress.TryParse(text, out var parsed))
        {
            return false;
        }

        address = From(parsed);
        return true;
    }

    /// <summary>Parses an address or throws <see cref="FormatException"/>.</summary>
    public static IpAddress Parse(string text) =>
        TryParse(text, out var address) ? address : throw new FormatException($"'{text}' is not an IP address.");

    /// <summary>Converts from <see cref="IPAddress"/>.</summary>
    public static IpAddress From(IPAddress address)
    {
        Span<byte> octets = stackalloc byte[16];
        address.TryWriteBytes(octets, out int written);
        return FromBytes(octets[..written]);
    }

    /// <summary>Converts to <see cref="IPAddress"/>.</summary>
    public IPAddress ToIPAddress()
    {
        Span<byte> octets = stackalloc byte[16];
        int length = WriteBytes(octets);
        return new IPAddress(octets[..length]);
    }

    /// <summary>The address with every bit outside the mask cleared (same family).</summary>
    public IpAddress And(IpAddress mask) => new(_high & mask._high, _low & mask._low, _isV6);

    public bool Equals(IpAddress other) => _high == other._high && _low == other._low && _isV6 == other._isV6;

    public override bool Equals(object? obj) => obj is IpAddress other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_high, _low, _isV6);

    public int CompareTo(IpAddress other)
    {
        if (_isV6 != other._isV6)
        {
            return _isV6 ? 1 : -1;
        }

        int c = _high.CompareTo(other._high);
        return c != 0 ? c : _low.CompareTo(other._low);
    }

    public static bool operator ==(IpAddress left, IpAddress right) => left.Equals(right);

    public static bool operator !=(IpAddress left, IpAddress right) => !left.Equals(right);

    public static bool operator <(IpAddress left, IpAddress right) => left.CompareTo(right) < 0;

    public static bool operator <=(IpAddress left, IpAddress right) => left.CompareTo(right) <= 0;

    public static bool operator >(IpAddress left, IpAddress right) => left.CompareTo(right) > 0;

    public static bool operator >=(IpAddress left, IpAddress right) => left.CompareTo(right) >= 0;

    public override string ToString() => _isV6 || _low > uint.MaxValue
        ? ToIPAddress().ToString()
        : $"{(byte)(_low >> 24)}.{(byte)(_low >> 16)}.{(byte)(_low >> 8)}.{(byte)_low}";
}

/// <summary>Helpers for address families on the wire (protobuf uses AF_INET/AF_INET6).</summary>
public static class AddressFamilies
{
    /// <summary>The protobuf <c>IpAddress.type</c> for IPv4 (AF_INET).</summary>
    public const uint ProtoIpv4 = 2;

    /// <summary>The protobuf <c>IpAddress.type</c> for IPv6 (AF_INET6).</summary>
    public const uint ProtoIpv6 = 10;
}
