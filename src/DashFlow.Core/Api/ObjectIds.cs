using DashFlow.Model;

namespace DashFlow.Api;

/// <summary>The object types that have ids in DashFlow's Flow API (held in an id's top 16 bits).</summary>
public enum FlowObjectType : ushort
{
    Null = 0,
    FlowTable = 1,
    BulkGetSessionFilter = 2,
    BulkGetSession = 3,
}

/// <summary>Builds and reads object ids: [63..48] object type, [47..0] a serial number that is never reused.</summary>
public static class ObjectIds
{
    /// <summary>The id of object <paramref name="serial"/> of type <paramref name="type"/>.</summary>
    public static ulong Make(FlowObjectType type, ulong serial) => ((ulong)type << 48) | (serial & 0xFFFF_FFFF_FFFFUL);

    /// <summary>The object type an id names.</summary>
    public static FlowObjectType TypeOf(ulong oid) => (FlowObjectType)(oid >> 48);
}

/// <summary>A flow table's object id (<c>SAI_OBJECT_TYPE_FLOW_TABLE</c>).</summary>
public readonly record struct FlowTableId(ulong Value)
{
    /// <summary>SAI_NULL_OBJECT_ID.</summary>
    public static FlowTableId Null => default;

    public override string ToString() => $"0x{Value:x}";
}

/// <summary>The address of a flow entry (D3): its table and its key.</summary>
public readonly record struct FlowEntryAddress(FlowTableId Table, FlowKey Key);
