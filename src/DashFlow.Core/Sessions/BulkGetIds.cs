namespace DashFlow.Sessions;

/// <summary>A bulk-get filter's object id (<c>SAI_OBJECT_TYPE_FLOW_ENTRY_BULK_GET_SESSION_FILTER</c>).</summary>
public readonly record struct BulkGetSessionFilterId(ulong Value)
{
    /// <summary>SAI_NULL_OBJECT_ID.</summary>
    public static BulkGetSessionFilterId Null => default;

    public override string ToString() => $"0x{Value:x}";
}

/// <summary>A bulk get session's object id (<c>SAI_OBJECT_TYPE_FLOW_ENTRY_BULK_GET_SESSION</c>).</summary>
public readonly record struct BulkGetSessionId(ulong Value)
{
    /// <summary>SAI_NULL_OBJECT_ID.</summary>
    public static BulkGetSessionId Null => default;

    public override string ToString() => $"0x{Value:x}";
}
