using DashFlow.Model;

namespace DashFlow.Sessions;

/// <summary>The kind of value a filter key compares against (spec §3.6).</summary>
public enum BulkGetFilterValueKind
{
    None = 0,

    /// <summary>INT_VALUE (u64): FLOW_TABLE_ID, IP_PROTOCOL, SRC/DST_L4_PORT, KEY_VERSION, VNET_ID, AGED.</summary>
    Int,

    /// <summary>IP_VALUE: SRC_IP_ADDR, DST_IP_ADDR.</summary>
    Ip,

    /// <summary>MAC_VALUE: ENI_MAC.</summary>
    Mac,
}

/// <summary>
/// One bulk-get filter (a <c>SAI_OBJECT_TYPE_FLOW_ENTRY_BULK_GET_SESSION_FILTER</c>'s attributes): "entry field OP value".
/// </summary>
/// <remarks>
/// D13: INT keys take every op; IP keys take every op and compare unsigned within one family (never matching an entry of
/// the other family); ENI_MAC, FLOW_TABLE_ID and AGED take EQUAL_TO only; AGED's value is 1 (aged) or 0 (not aged).
/// </remarks>
public readonly record struct BulkGetFilter(BulkGetFilterKey Key, BulkGetFilterOp Op, ulong IntValue = 0, IpAddress IpValue = default, MacAddress MacValue = default)
{
    /// <summary>The value attribute a key uses.</summary>
    public static BulkGetFilterValueKind ValueKindOf(BulkGetFilterKey key) => key switch
    {
        BulkGetFilterKey.FlowTableId or BulkGetFilterKey.IpProtocol or BulkGetFilterKey.SrcL4Port or BulkGetFilterKey.DstL4Port
            or BulkGetFilterKey.KeyVersion or BulkGetFilterKey.VnetId or BulkGetFilterKey.Aged => BulkGetFilterValueKind.Int,
        BulkGetFilterKey.SrcIpAddr or BulkGetFilterKey.DstIpAddr => BulkGetFilterValueKind.Ip,
        BulkGetFilterKey.EniMac => BulkGetFilterValueKind.Mac,
        _ => BulkGetFilterValueKind.None,
    };

    /// <summary>True for a defined key other than INVALID.</summary>
    public static bool IsValidKey(BulkGetFilterKey key) => ValueKindOf(key) != BulkGetFilterValueKind.None;

    /// <summary>True for a defined op other than INVALID.</summary>
    public static bool IsValidOp(BulkGetFilterOp op) => op is >= BulkGetFilterOp.EqualTo and <= BulkGetFilterOp.LessThanOrEqualTo;

    /// <summary>D13: whether <paramref name="op"/> may be used with <paramref name="key"/>.</summary>
    public static bool IsOpAllowed(BulkGetFilterKey key, BulkGetFilterOp op) =>
        IsValidKey(key) && IsValidOp(op)
        && (op == BulkGetFilterOp.EqualTo || key is not (BulkGetFilterKey.EniMac or BulkGetFilterKey.FlowTableId or BulkGetFilterKey.Aged));

    /// <summary>True when the key, op and value make a valid filter.</summary>
    public bool IsValid => IsOpAllowed(Key, Op) && (Key != BulkGetFilterKey.Aged || IntValue <= 1);
}
