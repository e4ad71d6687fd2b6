namespace DashFlow.Api;

/// <summary><c>SAI_FLOW_TABLE_ATTR_*</c> ordinals (spec §3.2).</summary>
public static class FlowTableAttr
{
    public const uint MaxFlowCount = 0;
    public const uint DashFlowEnabledKey = 1;
    public const uint FlowTtlInMilliseconds = 2;
    public const uint End = 3;
}

/// <summary><c>SAI_FLOW_ENTRY_ATTR_*</c> ordinals (spec §3.4, merged SAI).</summary>
public static class FlowEntryAttr
{
    public const uint Action = 0;
    public const uint Version = 1;
    public const uint DashDirection = 2;
    public const uint DashFlowAction = 3;
    public const uint MeterClass = 4;
    public const uint IsUnidirectionalFlow = 5;
    public const uint ReverseFlowEniMac = 6;
    public const uint ReverseFlowVnetId = 7;
    public const uint ReverseFlowIpProto = 8;
    public const uint ReverseFlowSrcIp = 9;
    public const uint ReverseFlowDstIp = 10;
    public const uint ReverseFlowSrcPort = 11;
    public const uint ReverseFlowDstPort = 12;
    public const uint Underlay0VnetId = 13;
    public const uint Underlay0Sip = 14;
    public const uint Underlay0Dip = 15;
    public const uint Underlay0DashEncapsulation = 16;
    public const uint Underlay1VnetId = 17;
    public const uint Underlay1Sip = 18;
    public const uint Underlay1Dip = 19;
    public const uint Underlay1Smac = 20;
    public const uint Underlay1Dmac = 21;
    public const uint Underlay1DashEncapsulation = 22;
    public const uint DstMac = 23;
    public const uint Sip = 24;
    public const uint Dip = 25;
    public const uint SipMask = 26;
    public const uint DipMask = 27;
    public const uint VendorMetadata = 28;
    public const uint FlowDataPb = 29;
    public const uint IpAddrFamily = 30;
    public const uint DashFlowSyncState = 31;
    public const uint Underlay0Smac = 32;
    public const uint Underlay0Dmac = 33;
    public const uint End = 34;
}

/// <summary>The switch capability attributes (D2, spec §3.8): <c>SAI_SWITCH_ATTR_CUSTOM_RANGE_START</c> + n.</summary>
public static class SwitchCapabilityAttr
{
    public const uint CustomRangeStart = 0x1000_0000;
    public const uint MaxFlowTableCount = CustomRangeStart + 0;
    public const uint MaxFlowEntryCount = CustomRangeStart + 1;
    public const uint SupportedEnabledKey = CustomRangeStart + 2;
    public const uint BulkGetSession = CustomRangeStart + 3;
    public const uint UnidirectionalFlowEntry = CustomRangeStart + 4;
    public const uint FlowCreate = CustomRangeStart + 5;
    public const uint FlowRemove = CustomRangeStart + 6;
    public const uint FlowSet = CustomRangeStart + 7;
    public const uint FlowGet = CustomRangeStart + 8;

    /// <summary>DashFlow extension: the flow-action bitmask entries may carry (the deck's nine capabilities do not cover
    /// actions, and a software data plane cannot do NAT46/NAT64).</summary>
    public const uint SupportedFlowAction = CustomRangeStart + 9;
    public const uint End = CustomRangeStart + 10;

    /// <summary>The SAI names of the nine capabilities and DashFlow's supported-actions extension, by id.</summary>
    public static IReadOnlyList<(uint Id, string Name)> All { get; } =
    [
        (MaxFlowTableCount, "SAI_SWITCH_ATTR_DASH_CAPS_MAX_FLOW_TABLE_COUNT"),
        (MaxFlowEntryCount, "SAI_SWITCH_ATTR_DASH_CAPS_MAX_FLOW_ENTRY_COUNT"),
        (SupportedEnabledKey, "SAI_SWITCH_ATTR_DASH_CAPS_SUPPORTED_ENABLED_KEY"),
        (BulkGetSession, "SAI_SWITCH_ATTR_DASH_CAPS_BULK_GET_SESSION"),
        (UnidirectionalFlowEntry, "SAI_SWITCH_ATTR_DASH_CAPS_UNIDIRECTIONAL_FLOW_ENTRY"),
        (FlowCreate, "SAI_SWITCH_ATTR_DASH_CAPS_FLOW_CREATE"),
        (FlowRemove, "SAI_SWITCH_ATTR_DASH_CAPS_FLOW_REMOVE"),
        (FlowSet, "SAI_SWITCH_ATTR_DASH_CAPS_FLOW_SET"),
        (FlowGet, "SAI_SWITCH_ATTR_DASH_CAPS_FLOW_GET"),
        (SupportedFlowAction, "SAI_SWITCH_ATTR_DASH_CAPS_SUPPORTED_FLOW_ACTION"),
    ];
}
