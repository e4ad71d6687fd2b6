using DashFlow.Model;

namespace DashFlow.Api;

/// <summary>The value kinds an attribute carries (the <c>SaiAttribute</c> oneof of the project's gRPC schema).</summary>
public enum SaiValueKind : byte
{
    None = 0,
    Bool,
    U32,
    U64,
    S32,
    Mac,
    Ip,
    Bytes,
    Oid,
}

/// <summary>One attribute value, like <c>sai_attribute_value_t</c>: a scalar, a MAC, an IP, a byte list or an object id.</summary>
public readonly struct SaiAttributeValue : IEquatable<SaiAttributeValue>
{
    private readonly ulong _scalar;
    private readonly MacAddress _mac;
    private readonly IpAddress _ip;
    private readonly byte[]? _bytes;

    private SaiAttributeValue(SaiValueKind kind, ulong scalar = 0, MacAddress mac = default, IpAddress ip = default, byte[]? bytes = null)
    {
        Kind = kind;
        _scalar = scalar;
        _mac = mac;
        _ip = ip;
        _bytes = bytes;
    }

    /// <summary>What the value holds; <see cref="SaiValueKind.None"/> for an empty (unfilled) value.</summary>
    public SaiValueKind Kind { get; }

    public static SaiAttributeValue FromBool(bool value) => new(SaiValueKind.Bool, value ? 1UL : 0UL);

    public static SaiAttributeValue FromU32(uint value) => new(SaiValueKind.U32, value);

    public static SaiAttributeValue FromU64(ulong value) => new(SaiValueKind.U64, value);

    public static SaiAttributeValue FromS32(int value) => new(SaiValueKind.S32, unchecked((ulong)value));

    public static SaiAttributeValue FromMac(MacAddress value) => new(SaiValueKind.Mac, mac: value);

    public static SaiAttributeValue FromIp(IpAddress value) => new(SaiValueKind.Ip, ip: value);

    public static SaiAttributeValue FromBytes(byte[] value) => new(SaiValueKind.Bytes, bytes: value);

    public static SaiAttributeValue FromOid(ulong value) => new(SaiValueKind.Oid, value);

    public bool AsBool => _scalar != 0;

    public uint AsU32 => (uint)_scalar;

    public ulong AsU64 => _scalar;

    public int AsS32 => unchecked((int)_scalar);

    public ulong AsOid => _scalar;

    /// <summary>The raw 64-bit scalar (for range checks of U32, U64 and S32 values).</summary>
    public ulong Scalar => _scalar;

    public MacAddress AsMac => _mac;

    public IpAddress AsIp => _ip;

    public ReadOnlyMemory<byte> AsBytes => _bytes;

    public bool Equals(SaiAttributeValue other) =>
        Kind == other.Kind && _scalar == other._scalar && _mac == other._mac && _ip == other._ip
        && AsBytes.Span.SequenceEqual(other.AsBytes.Span);

    public override bool Equals(object? obj) => obj is SaiAttributeValue other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Kind, _scalar, _mac, _ip);

    public static bool operator ==(SaiAttributeValue left, SaiAttributeValue right) => left.Equals(right);

    public static bool operator !=(SaiAttributeValue left, SaiAttributeValue right) => !left.Equals(right);

    public override string ToString() => Kind switch
    {
        SaiValueKind.None => "(none)",
        SaiValueKind.Bool => AsBool ? "true" : "false",
        SaiValueKind.U32 or SaiValueKind.U64 => _scalar.ToString(System.Globalization.CultureInfo.InvariantCulture),
        SaiValueKind.S32 => AsS32.ToString(System.Globalization.CultureInfo.InvariantCulture),
        SaiValueKind.Oid => $"oid:0x{_scalar:x}",
        SaiValueKind.Mac => _mac.ToString(),
        SaiValueKind.Ip => _ip.ToString(),
        SaiValueKind.Bytes => Convert.ToHexString(_bytes ?? []),
        _ => "?",
    };
}

/// <summary>An attribute: its ordinal in the object's attribute enum (spec §3) and its value.</summary>
public readonly record struct SaiAttribute(uint Id, SaiAttributeValue Value)
{
    /// <summary>An attribute to be filled by a get call.</summary>
    public static SaiAttribute Query(uint id) => new(id, default);

    public static SaiAttribute Bool(uint id, bool value) => new(id, SaiAttributeValue.FromBool(value));

    public static SaiAttribute U32(uint id, uint value) => new(id, SaiAttributeValue.FromU32(value));

    public static SaiAttribute U64(uint id, ulong value) => new(id, SaiAttributeValue.FromU64(value));

    public static SaiAttribute S32(uint id, int value) => new(id, SaiAttributeValue.FromS32(value));

    public static SaiAttribute Mac(uint id, MacAddress value) => new(id, SaiAttributeValue.FromMac(value));

    public static SaiAttribute Ip(uint id, IpAddress value) => new(id, SaiAttributeValue.FromIp(value));

    public static SaiAttribute Bytes(uint id, byte[] value) => new(id, SaiAttributeValue.FromBytes(value));

    public static SaiAttribute Oid(uint id, ulong value) => new(id, SaiAttributeValue.FromOid(value));
}
