using System.Runtime.CompilerServices;
using DashFlow.Engine;
using DashFlow.Model;
using DashFlow.Records;

namespace DashFlow.Api;

/// <summary>
/// A flow entry's state as attributes see it: the reverse key kept field by field, so attribute lists can build and
/// change it, and the vendor metadata beside it. Validates every attribute value and the address families.
/// </summary>
internal struct FlowEntryDraft
{
    public FlowState State;
    public MacAddress ReverseEniMac;
    public ushort ReverseVnetId;
    public byte ReverseIpProtocol;
    public IpAddress ReverseSrcIp;
    public IpAddress ReverseDstIp;
    public ushort ReverseSrcPort;
    public ushort ReverseDstPort;
    public byte[]? VendorMetadata;
    public bool VendorMetadataSet;

    /// <summary>The key carried by the last FLOW_DATA_PB applied, and that attribute's list index (-1: none).</summary>
    public FlowKey FlowDataKey;
    private int _flowDataAt;

    // The list index that last set each address, so a family conflict names the attribute that made it.
    private int _reverseSrcAt, _reverseDstAt, _u0SipAt, _u0DipAt, _u1SipAt, _u1DipAt, _sipAt, _dipAt, _sipMaskAt, _dipMaskAt;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static FlowEntryDraft From(in FlowState state, byte[]? vendorMetadata)
    {
        var key = state.ReverseKey;
        return new FlowEntryDraft
        {
            State = state,
            ReverseEniMac = key.EniMac,
            ReverseVnetId = key.VnetId,
            ReverseIpProtocol = key.IpProtocol,
            ReverseSrcIp = key.SrcIp,
            ReverseDstIp = key.DstIp,
            ReverseSrcPort = key.SrcPort,
            ReverseDstPort = key.DstPort,
            VendorMetadata = vendorMetadata,
            _flowDataAt = -1,
        };
    }

    /// <summary>An empty draft (every attribute at its SAI default).</summary>
    public static FlowEntryDraft Empty() => From(default, null);

    /// <summary>The state with the reverse key assembled (a zero address takes its partner's family).</summary>
    public readonly FlowState ToState()
    {
        var state = State;
        var (src, dst) = AlignFamilies(ReverseSrcIp, ReverseDstIp);
        state.ReverseKey = new FlowKey(ReverseEniMac, ReverseVnetId, ReverseIpProtocol, src, dst, ReverseSrcPort, ReverseDstPort);
        return state;
    }

    /// <summary>Applies one attribute at list position <paramref name="index"/>; the status names that position.</summary>
    public SaiStatus Apply(in SaiAttribute attribute, int index, FlowCapabilities capabilities)
    {
        var v = attribute.Value;
        ref var u0 = ref State.Rewrite.Underlay0;
        ref var u1 = ref State.Rewrite.Underlay1;
        ref var overlay = ref State.Rewrite.Overlay;
        SaiStatus bad = SaiStatuses.InvalidAttrValue(index);
        switch (attribute.Id)
        {
            case FlowEntryAttr.Action:
                return IsEnum(v, 0) ? SaiStatus.Success : bad;
            case FlowEntryAttr.Version:
                return IsU32(v, uint.MaxValue) ? Done(out State.Version, v.AsU32) : bad;
            case FlowEntryAttr.DashDirection:
                return IsEnum(v, (int)FlowDirection.Inbound) ? Done(out State.Direction, (FlowDirection)v.AsS32) : bad;
            case FlowEntryAttr.DashFlowAction:
                if (v.Kind != SaiValueKind.S32 || (v.AsS32 & ~(int)FlowAction.All) != 0)
                {
                    return bad;
                }

                return capabilities.SupportsActions((FlowAction)v.AsS32) ? Done(out State.Actions, (FlowAction)v.AsS32) : SaiStatus.NotSupported;
            case FlowEntryAttr.MeterClass:
                return IsU32(v, uint.MaxValue) ? Done(out State.MeterClass, v.AsU32) : bad;
            case FlowEntryAttr.IsUnidirectionalFlow:
                if (v.Kind != SaiValueKind.Bool)
                {
                    return bad;
                }

                return v.AsBool && !capabilities.UnidirectionalFlowEntry ? SaiStatus.NotSupported : Done(out State.IsUnidirectional, v.AsBool);
            case FlowEntryAttr.ReverseFlowEniMac:
                return v.Kind == SaiValueKind.Mac ? Done(out ReverseEniMac, v.AsMac) : bad;
            case FlowEntryAttr.ReverseFlowVnetId:
                return IsU32(v, ushort.MaxValue) ? Done(out ReverseVnetId, (ushort)v.AsU32) : bad;
            case FlowEntryAttr.ReverseFlowIpProto:
                return IsU32(v, byte.MaxValue) ? Done(out ReverseIpProtocol, (byte)v.AsU32) : bad;
            case FlowEntryAttr.ReverseFlowSrcIp:
                return SetIp(v, index, out ReverseSrcIp, out _reverseSrcAt);
            case FlowEntryAttr.ReverseFlowDstIp:
                return SetIp(v, index, out ReverseDstIp, out _reverseDstAt);
            case FlowEntryAttr.ReverseFlowSrcPort:
                return IsU32(v, ushort.MaxValue) ? Done(out ReverseSrcPort, (ushort)v.AsU32) : bad;
            case FlowEntryAttr.ReverseFlowDstPort:
                return IsU32(v, ushort.MaxValue) ? Done(out ReverseDstPort, (ushort)v.AsU32) : bad;
            case FlowEntryAttr.Underlay0VnetId:
                return IsU32(v, MaxVni) ? Done(out u0.VnetId, v.AsU32) : bad;
            case FlowEntryAttr.Underlay0Sip:
                return SetIp(v, index, out u0.Sip, out _u0SipAt);
            case FlowEntryAttr.Underlay0Dip:
                return SetIp(v, index, out u0.Dip, out _u0DipAt);
            case FlowEntryAttr.Underlay0DashEncapsulation:
                return IsEnum(v, (int)DashEncapsulation.Nvgre) ? Done(out u0.Encapsulation, (DashEncapsulation)v.AsS32) : bad;
            case FlowEntryAttr.Underlay0Smac:
                return v.Kind == SaiValueKind.Mac ? Done(out u0.Smac, v.AsMac) : bad;
            case FlowEntryAttr.Underlay0Dmac:
                return v.Kind == SaiValueKind.Mac ? Done(out u0.Dmac, v.AsMac) : bad;
            case FlowEntryAttr.Underlay1VnetId:
                return IsU32(v, MaxVni) ? Done(out u1.VnetId, v.AsU32) : bad;
            case FlowEntryAttr.Underlay1Sip:
                return SetIp(v, index, out u1.Sip, out _u1SipAt);
            case FlowEntryAttr.Underlay1Dip:
                return SetIp(v, index, out u1.Dip, out _u1DipAt);
            case FlowEntryAttr.Underlay1Smac:
                return v.Kind == SaiValueKind.Mac ? Done(out u1.Smac, v.AsMac) : bad;
            case FlowEntryAttr.Underlay1Dmac:
                return v.Kind == SaiValueKind.Mac ? Done(out u1.Dmac, v.AsMac) : bad;
            case FlowEntryAttr.Underlay1DashEncapsulation:
                return IsEnum(v, (int)DashEncapsulation.Nvgre) ? Done(out u1.Encapsulation, (DashEncapsulation)v.AsS32) : bad;
            case FlowEntryAttr.DstMac:
                return v.Kind == SaiValueKind.Mac ? Done(out overlay.DstMac, v.AsMac) : bad;
            case FlowEntryAttr.Sip:
                return SetIp(v, index, out overlay.Sip, out _sipAt);
            case FlowEntryAttr.Dip:
                return SetIp(v, index, out overlay.Dip, out _dipAt);
            case FlowEntryAttr.SipMask:
                return SetIp(v, index, out overlay.SipMask, out _sipMaskAt);
            case FlowEntryAttr.DipMask:
                return SetIp(v, index, out overlay.DipMask, out _dipMaskAt);
            case FlowEntryAttr.VendorMetadata:
                if (v.Kind != SaiValueKind.Bytes || v.AsBytes.Length > MaxVendorMetadata)
                {
                    return bad;
                }

                VendorMetadata = v.AsBytes.ToArray();
                VendorMetadataSet = true;
                return SaiStatus.Success;
            case FlowEntryAttr.DashFlowSyncState:
                return IsEnum(v, (int)FlowSyncState.FlowPendingResimulation) ? Done(out State.SyncState, (FlowSyncState)v.AsS32) : bad;
            case FlowEntryAttr.IpAddrFamily:
                return SaiStatuses.InvalidAttribute(index); // READ_ONLY: derived from the key
            case FlowEntryAttr.FlowDataPb:
                var decoded = ApplyFlowData(v, index);
                return decoded == SaiStatus.Success && !capabilities.SupportsActions(State.Actions) ? SaiStatus.NotSupported : decoded;
            default:
                return SaiStatuses.UnknownAttribute(index);
        }
    }

    /// <summary>D8: FLOW_DATA_PB replaces the complete state (and the vendor metadata) with the record's.</summary>
    private SaiStatus ApplyFlowData(SaiAttributeValue value, int index)
    {
        if (value.Kind != SaiValueKind.Bytes
            || FlowRecordCodec.TryDecode(value.AsBytes.Span, out var key, out var state, out var vendor) != SaiStatus.Success)
        {
            return SaiStatuses.InvalidAttrValue(index);
        }

        this = From(in state, vendor);
        VendorMetadataSet = true;
        FlowDataKey = key;
        _flowDataAt = index;
        _reverseSrcAt = _reverseDstAt = _u0SipAt = _u0DipAt = _u1SipAt = _u1DipAt = _sipAt = _dipAt = _sipMaskAt = _dipMaskAt = index;
        return SaiStatus.Success;
    }

    /// <summary>A FLOW_DATA_PB record must carry the key of the entry it is applied to (compared as the table stores keys):
    /// INVALID_ATTR_VALUE on that attribute otherwise.</summary>
    public readonly SaiStatus CheckFlowDataKey(FlowTable table, in FlowKey entryKey) =>
        _flowDataAt < 0 || table.MaskKey(in FlowDataKey) == table.MaskKey(in entryKey)
            ? SaiStatus.Success
            : SaiStatuses.InvalidAttrValue(_flowDataAt);

    /// <summary>Checks that each pair of addresses that must share a family does (a zero address fits either).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly SaiStatus CheckFamilies()
    {
        var rw = State.Rewrite;
        return Conflict(ReverseSrcIp, _reverseSrcAt, ReverseDstIp, _reverseDstAt)
            ?? Conflict(rw.Underlay0.Sip, _u0SipAt, rw.Underlay0.Dip, _u0DipAt)
            ?? Conflict(rw.Underlay1.Sip, _u1SipAt, rw.Underlay1.Dip, _u1DipAt)
            ?? Conflict(rw.Overlay.Sip, _sipAt, rw.Overlay.Dip, _dipAt)
            ?? Conflict(rw.Overlay.Sip, _sipAt, rw.Overlay.SipMask, _sipMaskAt)
            ?? Conflict(rw.Overlay.Dip, _dipAt, rw.Overlay.DipMask, _dipMaskAt)
            ?? SaiStatus.Success;
    }

    /// <summary>The value of attribute <paramref name="id"/> for an entry with key <paramref name="key"/>.</summary>
    public static SaiStatus Read(in FlowKey key, in FlowState state, ReadOnlySpan<byte> vendorMetadata, uint id, int index, out SaiAttributeValue value)
    {
        var rk = state.ReverseKey;
        var rw = state.Rewrite;
        value = id switch
        {
            FlowEntryAttr.Action => SaiAttributeValue.FromS32((int)FlowEntryAction.SetFlowEntryAttr),
            FlowEntryAttr.Version => SaiAttributeValue.FromU32(state.Version),
            FlowEntryAttr.DashDirection => SaiAttributeValue.FromS32((int)state.Direction),
            FlowEntryAttr.DashFlowAction => SaiAttributeValue.FromS32((int)state.Actions),
            FlowEntryAttr.MeterClass => SaiAttributeValue.FromU32(state.MeterClass),
            FlowEntryAttr.IsUnidirectionalFlow => SaiAttributeValue.FromBool(state.IsUnidirectional),
            FlowEntryAttr.ReverseFlowEniMac => SaiAttributeValue.FromMac(rk.EniMac),
            FlowEntryAttr.ReverseFlowVnetId => SaiAttributeValue.FromU32(rk.VnetId),
            FlowEntryAttr.ReverseFlowIpProto => SaiAttributeValue.FromU32(rk.IpProtocol),
            FlowEntryAttr.ReverseFlowSrcIp => SaiAttributeValue.FromIp(rk.SrcIp),
            FlowEntryAttr.ReverseFlowDstIp => SaiAttributeValue.FromIp(rk.DstIp),
            FlowEntryAttr.ReverseFlowSrcPort => SaiAttributeValue.FromU32(rk.SrcPort),
            FlowEntryAttr.ReverseFlowDstPort => SaiAttributeValue.FromU32(rk.DstPort),
            FlowEntryAttr.Underlay0VnetId => SaiAttributeValue.FromU32(rw.Underlay0.VnetId),
            FlowEntryAttr.Underlay0Sip => SaiAttributeValue.FromIp(rw.Underlay0.Sip),
            FlowEntryAttr.Underlay0Dip => SaiAttributeValue.FromIp(rw.Underlay0.Dip),
            FlowEntryAttr.Underlay0DashEncapsulation => SaiAttributeValue.FromS32((int)rw.Underlay0.Encapsulation),
            FlowEntryAttr.Underlay0Smac => SaiAttributeValue.FromMac(rw.Underlay0.Smac),
            FlowEntryAttr.Underlay0Dmac => SaiAttributeValue.FromMac(rw.Underlay0.Dmac),
            FlowEntryAttr.Underlay1VnetId => SaiAttributeValue.FromU32(rw.Underlay1.VnetId),
            FlowEntryAttr.Underlay1Sip => SaiAttributeValue.FromIp(rw.Underlay1.Sip),
            FlowEntryAttr.Underlay1Dip => SaiAttributeValue.FromIp(rw.Underlay1.Dip),
            FlowEntryAttr.Underlay1Smac => SaiAttributeValue.FromMac(rw.Underlay1.Smac),
            FlowEntryAttr.Underlay1Dmac => SaiAttributeValue.FromMac(rw.Underlay1.Dmac),
            FlowEntryAttr.Underlay1DashEncapsulation => SaiAttributeValue.FromS32((int)rw.Underlay1.Encapsulation),
            FlowEntryAttr.DstMac => SaiAttributeValue.FromMac(rw.Overlay.DstMac),
            FlowEntryAttr.Sip => SaiAttributeValue.FromIp(rw.Overlay.Sip),
            FlowEntryAttr.Dip => SaiAttributeValue.FromIp(rw.Overlay.Dip),
            FlowEntryAttr.SipMask => SaiAttributeValue.FromIp(rw.Overlay.SipMask),
            FlowEntryAttr.DipMask => SaiAttributeValue.FromIp(rw.Overlay.DipMask),
            FlowEntryAttr.VendorMetadata => SaiAttributeValue.FromBytes(vendorMetadata.ToArray()),
            FlowEntryAttr.IpAddrFamily => SaiAttributeValue.FromS32((int)key.Family),
            FlowEntryAttr.DashFlowSyncState => SaiAttributeValue.FromS32((int)state.SyncState),
            FlowEntryAttr.FlowDataPb => SaiAttributeValue.FromBytes(FlowRecordCodec.Encode(in key, in state, vendorMetadata)),
            _ => default,
        };
        return value.Kind != SaiValueKind.None ? SaiStatus.Success : SaiStatuses.UnknownAttribute(index);
    }

    /// <summary>Checks the enumerated and masked fields of a state given as a value (the typed API's counterpart of <see cref="Apply"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SaiStatus ValidateState(in FlowState state, FlowCapabilities capabilities)
    {
        ref readonly var rw = ref state.Rewrite;
        bool valid = state.Direction <= FlowDirection.Inbound
            && (state.Actions & ~FlowAction.All) == 0
            && state.SyncState <= FlowSyncState.FlowPendingResimulation
            && rw.Underlay0.Encapsulation <= DashEncapsulation.Nvgre
            && rw.Underlay1.Encapsulation <= DashEncapsulation.Nvgre
            && rw.Underlay0.VnetId <= MaxVni
            && rw.Underlay1.VnetId <= MaxVni
            && state.ReverseKey.HasConsistentFamily;
        if (!valid)
        {
            return SaiStatus.InvalidParameter;
        }

        if ((state.IsUnidirectional && !capabilities.UnidirectionalFlowEntry) || !capabilities.SupportsActions(state.Actions))
        {
            return SaiStatus.NotSupported;
        }

        // CheckFamilies' pairs, read from the state itself: no draft copied per record on the bulk paths.
        ref readonly var rk = ref state.ReverseKey;
        bool conflict = Conflicts(rk.SrcIp, rk.DstIp)
            || Conflicts(rw.Underlay0.Sip, rw.Underlay0.Dip)
            || Conflicts(rw.Underlay1.Sip, rw.Underlay1.Dip)
            || Conflicts(rw.Overlay.Sip, rw.Overlay.Dip)
            || Conflicts(rw.Overlay.Sip, rw.Overlay.SipMask)
            || Conflicts(rw.Overlay.Dip, rw.Overlay.DipMask);
        return conflict ? SaiStatus.InvalidParameter : SaiStatus.Success;
    }

    private static bool Conflicts(IpAddress a, IpAddress b) => a.IsV6 != b.IsV6 && !a.IsZero && !b.IsZero;

    /// <summary>VXLAN and NVGRE carry a 24-bit virtual network id.</summary>
    public const uint MaxVni = 0xFF_FFFF;

    /// <summary>The largest VENDOR_METADATA accepted.</summary>
    public const int MaxVendorMetadata = VendorDataPool.MaxLength;

    private static SaiStatus? Conflict(IpAddress a, int aAt, IpAddress b, int bAt) =>
        a.IsV6 != b.IsV6 && !a.IsZero && !b.IsZero ? SaiStatuses.InvalidAttrValue(Math.Max(aAt, bAt)) : null;

    private static bool IsU32(SaiAttributeValue value, uint max) => value.Kind == SaiValueKind.U32 && value.Scalar <= max;

    private static bool IsEnum(SaiAttributeValue value, int max) => value.Kind == SaiValueKind.S32 && value.AsS32 >= 0 && value.AsS32 <= max;

    private static SaiStatus Done<T>(out T field, T value)
    {
        field = value;
        return SaiStatus.Success;
    }

    private static SaiStatus SetIp(SaiAttributeValue value, int index, out IpAddress field, out int setAt)
    {
        field = value.AsIp;
        setAt = index;
        return value.Kind == SaiValueKind.Ip ? SaiStatus.Success : SaiStatuses.InvalidAttrValue(index);
    }

    private static (IpAddress Src, IpAddress Dst) AlignFamilies(IpAddress src, IpAddress dst)
    {
        if (src.IsV6 == dst.IsV6)
        {
            return (src, dst);
        }

        return src.IsZero ? (dst.IsV6 ? IpAddress.AnyV6 : IpAddress.AnyV4, dst) : (src, src.IsV6 ? IpAddress.AnyV6 : IpAddress.AnyV4);
    }
}
