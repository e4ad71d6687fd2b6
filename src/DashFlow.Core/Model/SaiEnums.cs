namespace DashFlow.Model;

// Every numeric value below follows the merged SAI experimental headers (spec §3.5, D1); extensions per D2.

/// <summary><c>sai_dash_flow_enabled_key_t</c>: which key fields a flow table matches on.</summary>
[Flags]
public enum FlowEnabledKey : ushort
{
    None = 0,
    EniMac = 1,
    Vni = 2,
    Protocol = 4,
    SrcIp = 8,
    DstIp = 16,
    SrcPort = 32,
    DstPort = 64,
    All = 0x7F,
}

/// <summary><c>sai_dash_flow_action_t</c>: the flow action bitmask.</summary>
[Flags]
public enum FlowAction : ushort
{
    None = 0,
    EncapU0 = 1,
    EncapU1 = 2,
    SetSmac = 4,
    SetDmac = 8,
    Snat = 16,
    Dnat = 32,
    Nat46 = 64,
    Nat64 = 128,
    SnatPort = 256,
    DnatPort = 512,
    All = 0x3FF,
}

/// <summary><c>sai_dash_direction_t</c>.</summary>
public enum FlowDirection : byte
{
    Invalid = 0,
    Outbound = 1,
    Inbound = 2,
}

/// <summary><c>sai_dash_encapsulation_t</c>.</summary>
public enum DashEncapsulation : byte
{
    Invalid = 0,
    Vxlan = 1,
    Nvgre = 2,
}

/// <summary><c>sai_dash_flow_sync_state_t</c>.</summary>
public enum FlowSyncState : byte
{
    FlowMiss = 0,
    FlowCreated = 1,
    FlowSynced = 2,
    FlowPendingDelete = 3,
    FlowPendingResimulation = 4,
}

/// <summary><c>sai_ip_addr_family_t</c>.</summary>
public enum IpAddressFamily : byte
{
    Ipv4 = 0,
    Ipv6 = 1,
}

/// <summary><c>sai_flow_entry_action_t</c>: the merged header's only value.</summary>
public enum FlowEntryAction : byte
{
    SetFlowEntryAttr = 0,
}

/// <summary><c>sai_bulk_op_error_mode_t</c>.</summary>
public enum BulkErrorMode
{
    StopOnError = 0,
    IgnoreError = 1,
}

/// <summary><c>sai_dash_flow_entry_bulk_get_session_mode_t</c>.</summary>
public enum BulkGetSessionMode
{
    Grpc = 0,
    Vendor = 1,
    Event = 2,
    EventWithoutFlowState = 3,
}

/// <summary><c>sai_dash_flow_entry_bulk_get_session_filter_key_t</c>, with the D2 extensions VNET_ID and AGED.</summary>
public enum BulkGetFilterKey
{
    Invalid = 0,
    FlowTableId = 1,
    EniMac = 2,
    IpProtocol = 3,
    SrcIpAddr = 4,
    DstIpAddr = 5,
    SrcL4Port = 6,
    DstL4Port = 7,
    KeyVersion = 8,
    VnetId = 9,
    Aged = 10,
}

/// <summary><c>sai_dash_flow_entry_bulk_get_session_op_key_t</c>.</summary>
public enum BulkGetFilterOp
{
    Invalid = 0,
    EqualTo = 1,
    GreaterThan = 2,
    GreaterThanOrEqualTo = 3,
    LessThan = 4,
    LessThanOrEqualTo = 5,
}

/// <summary><c>sai_flow_bulk_get_session_event_t</c>.</summary>
public enum BulkGetSessionEvent
{
    Finished = 0,
    FlowEntry = 1,
}
