namespace DashFlow.Model;

/// <summary>One underlay encapsulation of a flow (attributes 13–16 and 32–33 for U0, 17–22 for U1).</summary>
public record struct UnderlayEncap(
    uint VnetId,
    IpAddress Sip,
    IpAddress Dip,
    MacAddress Smac,
    MacAddress Dmac,
    DashEncapsulation Encapsulation)
{
    /// <summary>True when every field has its default.</summary>
    public readonly bool IsDefault => this == default;
}

/// <summary>The overlay rewrite of a flow (attributes 23–27): destination MAC and NAT addresses with masks.</summary>
public record struct OverlayRewrite(
    MacAddress DstMac,
    IpAddress Sip,
    IpAddress Dip,
    IpAddress SipMask,
    IpAddress DipMask)
{
    /// <summary>True when every field has its default.</summary>
    public readonly bool IsDefault => this == default;
}

/// <summary>The rewrite part of a flow's state: both underlays and the overlay rewrite, interned by the engine.</summary>
public record struct FlowRewrite(UnderlayEncap Underlay0, UnderlayEncap Underlay1, OverlayRewrite Overlay)
{
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
