namespace DashFlow.Model;

/// <summary>One underlay encapsulation of a flow (attributes 13–16 and 32–33 for U0, 17–22 for U1).</summary>
public record struct UnderlayEncap
{
    /// <summary>UNDERLAYn_VNET_ID: the VNI carried in the VXLAN/NVGRE header (24 bits).</summary>
    public uint VnetId;

    /// <summary>UNDERLAYn_SIP: the outer source address.</summary>
    public IpAddress Sip;

    /// <summary>UNDERLAYn_DIP: the outer destination address.</summary>
    public IpAddress Dip;

    /// <summary>UNDERLAYn_SMAC: the outer source MAC.</summary>
    public MacAddress Smac;

    /// <summary>UNDERLAYn_DMAC: the outer destination MAC.</summary>
    public MacAddress Dmac;

    /// <summary>UNDERLAYn_DASH_ENCAPSULATION.</summary>
    public DashEncapsulation Encapsulation;

    public UnderlayEncap(uint vnetId, IpAddress sip, IpAddress dip, MacAddress smac, MacAddress dmac, DashEncapsulation encapsulation)
    {
        VnetId = vnetId;
        Sip = sip;
        Dip = dip;
        Smac = smac;
        Dmac = dmac;
        Encapsulation = encapsulation;
    }
}

/// <summary>The overlay rewrite of a flow (attributes 23–27): destination MAC and NAT addresses with masks.</summary>
public record struct OverlayRewrite
{
    /// <summary>DST_MAC: the inner destination MAC for SET_DMAC.</summary>
    public MacAddress DstMac;

    /// <summary>SIP: the source address for SNAT.</summary>
    public IpAddress Sip;

    /// <summary>DIP: the destination address for DNAT.</summary>
    public IpAddress Dip;

    /// <summary>SIP_MASK: the bits of the source replaced by SNAT.</summary>
    public IpAddress SipMask;

    /// <summary>DIP_MASK: the bits of the destination replaced by DNAT.</summary>
    public IpAddress DipMask;

    public OverlayRewrite(MacAddress dstMac, IpAddress sip, IpAddress dip, IpAddress sipMask, IpAddress dipMask)
    {
        DstMac = dstMac;
        Sip = sip;
        Dip = dip;
        SipMask = sipMask;
        DipMask = dipMask;
    }
}

/// <summary>The rewrite part of a flow's state: both underlays and the overlay rewrite, interned by the engine.</summary>
public record struct FlowRewrite
{
    /// <summary>UNDERLAY0_*.</summary>
    public UnderlayEncap Underlay0;

    /// <summary>UNDERLAY1_*.</summary>
    public UnderlayEncap Underlay1;

    /// <summary>DST_MAC, SIP, DIP, SIP_MASK, DIP_MASK.</summary>
    public OverlayRewrite Overlay;

    public FlowRewrite(UnderlayEncap underlay0, UnderlayEncap underlay1, OverlayRewrite overlay)
    {
        Underlay0 = underlay0;
        Underlay1 = underlay1;
        Overlay = overlay;
    }

    /// <summary>True when every field has its default (no descriptor is stored).</summary>
    public readonly bool IsDefault => this == default;
}

/// <summary>
/// The complete state of one flow entry (every attribute of spec §3.4 but the key, FLOW_DATA_PB and the read-only family).
/// Vendor metadata travels beside it as bytes.
/// </summary>
public record struct FlowState
{
    /// <summary>VERSION (#1).</summary>
    public uint Version;

    /// <summary>DASH_DIRECTION (#2).</summary>
    public FlowDirection Direction;

    /// <summary>DASH_FLOW_ACTION (#3).</summary>
    public FlowAction Actions;

    /// <summary>METER_CLASS (#4).</summary>
    public uint MeterClass;

    /// <summary>IS_UNIDIRECTIONAL_FLOW (#5).</summary>
    public bool IsUnidirectional;

    /// <summary>REVERSE_FLOW_* (#6–12): the key of the other direction.</summary>
    public FlowKey ReverseKey;

    /// <summary>UNDERLAY0_*, UNDERLAY1_* and the overlay rewrite (#13–27, #32–33).</summary>
    public FlowRewrite Rewrite;

    /// <summary>DASH_FLOW_SYNC_STATE (#31).</summary>
    public FlowSyncState SyncState;
}
