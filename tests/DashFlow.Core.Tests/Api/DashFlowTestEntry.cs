using DashFlow.Api;
using DashFlow.Model;

namespace DashFlow.Core.Tests.Api;

/// <summary>The flow table and entry of DASH's saidashflow.py (spec §5.2), as attribute lists.</summary>
internal static class DashFlowTestEntry
{
    public static readonly MacAddress EniMac = MacAddress.Parse("00:00:02:03:04:05");

    public static SaiAttribute[] TableAttributes(uint maxFlows = 1000, uint ttlMs = 5000) =>
    [
        SaiAttribute.U32(FlowTableAttr.MaxFlowCount, maxFlows),
        SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, (int)FlowEnabledKey.All),
        SaiAttribute.U32(FlowTableAttr.FlowTtlInMilliseconds, ttlMs),
    ];

    /// <summary>eni 00:00:02:03:04:05, vnet 100, UDP 10.1.2.51:1234 -> 10.1.2.50:90.</summary>
    public static FlowKey Key => new(EniMac, 100, 17, IpAddress.Parse("10.1.2.51"), IpAddress.Parse("10.1.2.50"), 1234, 90);

    /// <summary>Every writable attribute with the values of the DASH flow test (version 4, OUTBOUND, unidirectional, SYNCED,
    /// swapped reverse key, U0 VXLAN to 172.16.1.20 with VNI 100, U1 zeroed, SET_DMAC 00:bb:bb:bb:bb:bb).</summary>
    public static SaiAttribute[] EntryAttributes(FlowAction actions = FlowAction.EncapU0 | FlowAction.SetDmac) =>
    [
        SaiAttribute.U32(FlowEntryAttr.Version, 4),
        SaiAttribute.S32(FlowEntryAttr.DashDirection, (int)FlowDirection.Outbound),
        SaiAttribute.S32(FlowEntryAttr.DashFlowAction, (int)actions),
        SaiAttribute.U32(FlowEntryAttr.MeterClass, 0),
        SaiAttribute.Bool(FlowEntryAttr.IsUnidirectionalFlow, true),
        SaiAttribute.Mac(FlowEntryAttr.ReverseFlowEniMac, EniMac),
        SaiAttribute.U32(FlowEntryAttr.ReverseFlowVnetId, 100),
        SaiAttribute.U32(FlowEntryAttr.ReverseFlowIpProto, 17),
        SaiAttribute.Ip(FlowEntryAttr.ReverseFlowSrcIp, IpAddress.Parse("10.1.2.50")),
        SaiAttribute.Ip(FlowEntryAttr.ReverseFlowDstIp, IpAddress.Parse("10.1.2.51")),
        SaiAttribute.U32(FlowEntryAttr.ReverseFlowSrcPort, 90),
        SaiAttribute.U32(FlowEntryAttr.ReverseFlowDstPort, 1234),
        SaiAttribute.U32(FlowEntryAttr.Underlay0VnetId, 100),
        SaiAttribute.Ip(FlowEntryAttr.Underlay0Sip, IpAddress.Parse("172.16.1.1")),
        SaiAttribute.Ip(FlowEntryAttr.Underlay0Dip, IpAddress.Parse("172.16.1.20")),
        SaiAttribute.S32(FlowEntryAttr.Underlay0DashEncapsulation, (int)DashEncapsulation.Vxlan),
        SaiAttribute.Mac(FlowEntryAttr.Underlay0Smac, MacAddress.Parse("00:cc:cc:cc:cc:cc")),
        SaiAttribute.Mac(FlowEntryAttr.Underlay0Dmac, MacAddress.Parse("00:dd:dd:dd:dd:dd")),
        SaiAttribute.U32(FlowEntryAttr.Underlay1VnetId, 0),
        SaiAttribute.Ip(FlowEntryAttr.Underlay1Sip, IpAddress.AnyV4),
        SaiAttribute.Ip(FlowEntryAttr.Underlay1Dip, IpAddress.AnyV4),
        SaiAttribute.Mac(FlowEntryAttr.Underlay1Smac, MacAddress.Zero),
        SaiAttribute.Mac(FlowEntryAttr.Underlay1Dmac, MacAddress.Zero),
        SaiAttribute.S32(FlowEntryAttr.Underlay1DashEncapsulation, (int)DashEncapsulation.Invalid),
        SaiAttribute.Mac(FlowEntryAttr.DstMac, MacAddress.Parse("00:bb:bb:bb:bb:bb")),
        SaiAttribute.Ip(FlowEntryAttr.Sip, IpAddress.AnyV4),
        SaiAttribute.Ip(FlowEntryAttr.Dip, IpAddress.AnyV4),
        SaiAttribute.Ip(FlowEntryAttr.SipMask, IpAddress.AnyV4),
        SaiAttribute.Ip(FlowEntryAttr.DipMask, IpAddress.AnyV4),
        SaiAttribute.Bytes(FlowEntryAttr.VendorMetadata, [0xde, 0xad, 0xbe, 0xef]),
        SaiAttribute.S32(FlowEntryAttr.DashFlowSyncState, (int)FlowSyncState.FlowSynced),
    ];

    public static FlowTableId CreateTable(FlowApi api, uint maxFlows = 1000, uint ttlMs = 5000)
    {
        Assert.Equal(SaiStatus.Success, api.CreateFlowTable(out var id, TableAttributes(maxFlows, ttlMs)));
        return id;
    }
}
