using DashFlow.Api;
using DashFlow.Model;
using DashFlow.Records;

namespace DashFlow.Sessions;

/// <summary>The attribute list of an EVENT-mode notification: every readable flow-entry attribute but FLOW_DATA_PB, then
/// FLOW_DATA_PB too when the destination has room for it (<see cref="FlowApiOptions.BulkGetEventIncludesFlowDataPb"/>).</summary>
/// <remarks>The values are those <c>get_flow_entry_attribute</c> returns (FlowEntryDraft.Read), written without the
/// per-attribute dispatch.</remarks>
internal static class FlowEntryAttributes
{
    /// <summary>Ids 0..28 and 30..33.</summary>
    public const int Count = (int)FlowEntryAttr.End - 1;

    public static void Fill(Span<SaiAttribute> d, in FlowKey key, in FlowState s, ReadOnlySpan<byte> vendorMetadata)
    {
        ref readonly var rk = ref s.ReverseKey;
        ref readonly var u0 = ref s.Rewrite.Underlay0;
        ref readonly var u1 = ref s.Rewrite.Underlay1;
        ref readonly var o = ref s.Rewrite.Overlay;
        d[0] = SaiAttribute.S32(FlowEntryAttr.Action, (int)FlowEntryAction.SetFlowEntryAttr);
        d[1] = SaiAttribute.U32(FlowEntryAttr.Version, s.Version);
        d[2] = SaiAttribute.S32(FlowEntryAttr.DashDirection, (int)s.Direction);
        d[3] = SaiAttribute.S32(FlowEntryAttr.DashFlowAction, (int)s.Actions);
        d[4] = SaiAttribute.U32(FlowEntryAttr.MeterClass, s.MeterClass);
        d[5] = SaiAttribute.Bool(FlowEntryAttr.IsUnidirectionalFlow, s.IsUnidirectional);
        d[6] = SaiAttribute.Mac(FlowEntryAttr.ReverseFlowEniMac, rk.EniMac);
        d[7] = SaiAttribute.U32(FlowEntryAttr.ReverseFlowVnetId, rk.VnetId);
        d[8] = SaiAttribute.U32(FlowEntryAttr.ReverseFlowIpProto, rk.IpProtocol);
        d[9] = SaiAttribute.Ip(FlowEntryAttr.ReverseFlowSrcIp, rk.SrcIp);
        d[10] = SaiAttribute.Ip(FlowEntryAttr.ReverseFlowDstIp, rk.DstIp);
        d[11] = SaiAttribute.U32(FlowEntryAttr.ReverseFlowSrcPort, rk.SrcPort);
        d[12] = SaiAttribute.U32(FlowEntryAttr.ReverseFlowDstPort, rk.DstPort);
        d[13] = SaiAttribute.U32(FlowEntryAttr.Underlay0VnetId, u0.VnetId);
        d[14] = SaiAttribute.Ip(FlowEntryAttr.Underlay0Sip, u0.Sip);
        d[15] = SaiAttribute.Ip(FlowEntryAttr.Underlay0Dip, u0.Dip);
        d[16] = SaiAttribute.S32(FlowEntryAttr.Underlay0DashEncapsulation, (int)u0.Encapsulation);
        d[17] = SaiAttribute.U32(FlowEntryAttr.Underlay1VnetId, u1.VnetId);
        d[18] = SaiAttribute.Ip(FlowEntryAttr.Underlay1Sip, u1.Sip);
        d[19] = SaiAttribute.Ip(FlowEntryAttr.Underlay1Dip, u1.Dip);
        d[20] = SaiAttribute.Mac(FlowEntryAttr.Underlay1Smac, u1.Smac);
        d[21] = SaiAttribute.Mac(FlowEntryAttr.Underlay1Dmac, u1.Dmac);
        d[22] = SaiAttribute.S32(FlowEntryAttr.Underlay1DashEncapsulation, (int)u1.Encapsulation);
        d[23] = SaiAttribute.Mac(FlowEntryAttr.DstMac, o.DstMac);
        d[24] = SaiAttribute.Ip(FlowEntryAttr.Sip, o.Sip);
        d[25] = SaiAttribute.Ip(FlowEntryAttr.Dip, o.Dip);
        d[26] = SaiAttribute.Ip(FlowEntryAttr.SipMask, o.SipMask);
        d[27] = SaiAttribute.Ip(FlowEntryAttr.DipMask, o.DipMask);
        d[28] = SaiAttribute.Bytes(FlowEntryAttr.VendorMetadata, vendorMetadata.ToArray());
        d[29] = SaiAttribute.S32(FlowEntryAttr.IpAddrFamily, (int)key.Family);
        d[30] = SaiAttribute.S32(FlowEntryAttr.DashFlowSyncState, (int)s.SyncState);
        d[31] = SaiAttribute.Mac(FlowEntryAttr.Underlay0Smac, u0.Smac);
        d[32] = SaiAttribute.Mac(FlowEntryAttr.Underlay0Dmac, u0.Dmac);
        if (d.Length > Count)
        {
            d[Count] = SaiAttribute.Bytes(FlowEntryAttr.FlowDataPb, FlowRecordCodec.Encode(in key, in s, vendorMetadata));
        }
    }
}
