using DashFlow.Api;
using DashFlow.Model;
using Google.Protobuf;
using Proto = DashFlow.Protos;

namespace DashFlow.Records;

/// <summary>
/// Converts a flow entry (key, state, vendor metadata) to and from its protobuf record, <c>SaiDashFlowEntry</c> (D11,
/// spec §3.10): the value of FLOW_DATA_PB (D8) and what GRPC-mode bulk get sessions stream. Decoding validates every
/// field and answers with a SAI status; malformed input never throws.
/// </summary>
/// <remarks>
/// Encoding omits what decoding restores exactly: scalars at zero (proto3), the all-zero MAC, the IPv4 address 0.0.0.0
/// and a zero mask of its address's family. An IPv6 :: is always written, so the family of every zero address survives
/// a round trip and the attribute view and the protobuf view of an entry agree. The key's eni_mac is always 6 octets.
/// The fast path,
/// <see cref="FlowRecordWriter"/>, writes exactly the bytes <c>ToMessage(...).ToByteArray()</c> does, without
/// allocating.
/// </remarks>
public static class FlowRecordCodec
{
    /// <summary>The generated message for an entry (the GRPC sink's batch element).</summary>
    public static Proto.SaiDashFlowEntry ToMessage(in FlowKey key, in FlowState state, ReadOnlySpan<byte> vendorMetadata) => new()
    {
        FlowKey = ToKeyMessage(in key),
        ReverseFlowKey = ToKeyMessage(in state.ReverseKey),
        FlowState = ToStateMessage(in key, in state, vendorMetadata),
    };

    /// <summary>The serialized record (FLOW_DATA_PB).</summary>
    public static byte[] Encode(in FlowKey key, in FlowState state, ReadOnlySpan<byte> vendorMetadata)
    {
        Span<byte> scratch = stackalloc byte[FlowRecordWriter.MaxFixedSize];
        if (vendorMetadata.Length == 0)
        {
            int length = FlowRecordWriter.Write(in key, in state, vendorMetadata, scratch);
            return scratch[..length].ToArray();
        }

        var buffer = new byte[FlowRecordWriter.MaxSize(vendorMetadata.Length)];
        int written = FlowRecordWriter.Write(in key, in state, vendorMetadata, buffer);
        return buffer.AsSpan(0, written).ToArray();
    }

    /// <summary>Parses and validates a serialized record.</summary>
    /// <returns>SUCCESS, or INVALID_PARAMETER for bytes that are not a valid record.</returns>
    public static SaiStatus TryDecode(ReadOnlySpan<byte> data, out FlowKey key, out FlowState state, out byte[] vendorMetadata)
    {
        if (FlowRecordReader.TryRead(data, out key, out state, out vendorMetadata) is { } status)
        {
            return status; // the allocation-free reader understood every byte
        }

        return TryDecodeWithParser(data, out key, out state, out vendorMetadata);
    }

    /// <summary>The reference decoder: the generated parser, then <see cref="TryFromMessage"/>.</summary>
    internal static SaiStatus TryDecodeWithParser(ReadOnlySpan<byte> data, out FlowKey key, out FlowState state, out byte[] vendorMetadata)
    {
        Proto.SaiDashFlowEntry message;
        try
        {
            message = Proto.SaiDashFlowEntry.Parser.ParseFrom(data);
        }
        catch (InvalidProtocolBufferException)
        {
            key = default;
            state = default;
            vendorMetadata = [];
            return SaiStatus.InvalidParameter;
        }

        return TryFromMessage(message, out key, out state, out vendorMetadata);
    }

    /// <summary>Validates a record and converts it: MAC lengths 6, IP lengths matching their type, one family per key,
    /// integer fields within their SAI types and enums within their values.</summary>
    /// <returns>SUCCESS, or INVALID_PARAMETER naming nothing more precise (the caller maps it to its attribute).</returns>
    public static SaiStatus TryFromMessage(Proto.SaiDashFlowEntry message, out FlowKey key, out FlowState state, out byte[] vendorMetadata)
    {
        ArgumentNullException.ThrowIfNull(message);
        key = default;
        state = default;
        vendorMetadata = [];
        if (message.FlowKey is null || !TryKey(message.FlowKey, out key) || !key.HasConsistentFamily)
        {
            return SaiStatus.InvalidParameter;
        }

        var reverse = default(FlowKey);
        if (message.ReverseFlowKey is not null && !TryKey(message.ReverseFlowKey, out reverse))
        {
            return SaiStatus.InvalidParameter;
        }

        var s = message.FlowState ?? new Proto.SaiDashFlowState();
        bool ok = s.DashDirection <= (uint)FlowDirection.Inbound
            && (s.DashFlowAction & ~(uint)FlowAction.All) == 0
            && s.Underlay0Vni <= FlowEntryDraft.MaxVni
            && s.Underlay1Vni <= FlowEntryDraft.MaxVni
            && s.Underlay0DashEncapsulation <= (uint)DashEncapsulation.Nvgre
            && s.Underlay1DashEncapsulation <= (uint)DashEncapsulation.Nvgre
            && s.DashFlowSyncState <= (uint)FlowSyncState.FlowPendingResimulation
            && s.Action == (uint)FlowEntryAction.SetFlowEntryAttr
            && s.VendorMetadata.Length <= FlowEntryDraft.MaxVendorMetadata;
        if (!ok)
        {
            return SaiStatus.InvalidParameter;
        }

        var result = new FlowState
        {
            Version = s.Version,
            Direction = (FlowDirection)s.DashDirection,
            Actions = (FlowAction)s.DashFlowAction,
            MeterClass = s.MeterClass,
            IsUnidirectional = s.IsUnidirectionalFlow,
            ReverseKey = reverse,
            SyncState = (FlowSyncState)s.DashFlowSyncState,
        };
        ref var u0 = ref result.Rewrite.Underlay0;
        ref var u1 = ref result.Rewrite.Underlay1;
        ref var overlay = ref result.Rewrite.Overlay;
        u0.VnetId = s.Underlay0Vni;
        u0.Encapsulation = (DashEncapsulation)s.Underlay0DashEncapsulation;
        u1.VnetId = s.Underlay1Vni;
        u1.Encapsulation = (DashEncapsulation)s.Underlay1DashEncapsulation;
        ok = TryIp(s.Underlay0Sip, out u0.Sip) && TryIp(s.Underlay0Dip, out u0.Dip)
            && TryMac(s.Underlay0Smac, out u0.Smac) && TryMac(s.Underlay0Dmac, out u0.Dmac)
            && TryIp(s.Underlay1Sip, out u1.Sip) && TryIp(s.Underlay1Dip, out u1.Dip)
            && TryMac(s.Underlay1Smac, out u1.Smac) && TryMac(s.Underlay1Dmac, out u1.Dmac)
            && TryMac(s.DstMac, out overlay.DstMac) && TryIp(s.Sip, out overlay.Sip) && TryIp(s.Dip, out overlay.Dip)
            && TryMask(s.SipMask, overlay.Sip, out overlay.SipMask) && TryMask(s.DipMask, overlay.Dip, out overlay.DipMask);
        if (!ok || FlowEntryDraft.ValidateState(in result, FlowCapabilities.Schema) != SaiStatus.Success)
        {
            return SaiStatus.InvalidParameter;
        }

        state = result;
        vendorMetadata = s.VendorMetadata.Length == 0 ? [] : s.VendorMetadata.ToByteArray();
        return SaiStatus.Success;
    }

    /// <summary>The protobuf form of a flow key.</summary>
    public static Proto.SaiDashFlowKey ToKeyMessage(in FlowKey key)
    {
        var message = new Proto.SaiDashFlowKey
        {
            EniMac = ByteString.CopyFrom(key.EniMac.ToBytes()),
            VnetId = key.VnetId,
            SrcIp = ToIp(key.SrcIp),
            DstIp = ToIp(key.DstIp),
            IpProto = key.IpProtocol,
            SrcPort = key.SrcPort,
            DstPort = key.DstPort,
        };
        return message;
    }

    private static Proto.SaiDashFlowState ToStateMessage(in FlowKey key, in FlowState state, ReadOnlySpan<byte> vendorMetadata)
    {
        var rw = state.Rewrite;
        return new Proto.SaiDashFlowState
        {
            Version = state.Version,
            DashDirection = (uint)state.Direction,
            DashFlowAction = (uint)state.Actions,
            MeterClass = state.MeterClass,
            IsUnidirectionalFlow = state.IsUnidirectional,
            Underlay0Vni = rw.Underlay0.VnetId,
            Underlay0Sip = ToIp(rw.Underlay0.Sip),
            Underlay0Dip = ToIp(rw.Underlay0.Dip),
            Underlay0DashEncapsulation = (uint)rw.Underlay0.Encapsulation,
            Underlay1Vni = rw.Underlay1.VnetId,
            Underlay1Sip = ToIp(rw.Underlay1.Sip),
            Underlay1Dip = ToIp(rw.Underlay1.Dip),
            Underlay1Smac = ToMac(rw.Underlay1.Smac),
            Underlay1Dmac = ToMac(rw.Underlay1.Dmac),
            Underlay1DashEncapsulation = (uint)rw.Underlay1.Encapsulation,
            DstMac = ToMac(rw.Overlay.DstMac),
            Sip = ToIp(rw.Overlay.Sip),
            Dip = ToIp(rw.Overlay.Dip),
            SipMask = ToMask(rw.Overlay.SipMask, rw.Overlay.Sip),
            DipMask = ToMask(rw.Overlay.DipMask, rw.Overlay.Dip),
            Underlay0Smac = ToMac(rw.Underlay0.Smac),
            Underlay0Dmac = ToMac(rw.Underlay0.Dmac),
            DashFlowSyncState = (uint)state.SyncState,
            VendorMetadata = vendorMetadata.Length == 0 ? ByteString.Empty : ByteString.CopyFrom(vendorMetadata),
            Action = (uint)FlowEntryAction.SetFlowEntryAttr,
            IpAddrFamily = (uint)key.Family,
        };
    }

    /// <summary>True when a decoder restores the value exactly from an absent field (see the remarks).</summary>
    internal static bool IsOmitted(IpAddress address) => address.IsZero && !address.IsV6;

    internal static bool IsOmittedMask(IpAddress mask, IpAddress address) => mask.IsZero && mask.IsV6 == address.IsV6;

    private static ByteString ToMask(IpAddress mask, IpAddress address) =>
        IsOmittedMask(mask, address) ? ByteString.Empty : ByteString.CopyFrom(mask.ToBytes());

    private static Proto.IpAddress? ToIp(IpAddress address) => IsOmitted(address) ? null : new()
    {
        Type = address.IsV6 ? AddressFamilies.ProtoIpv6 : AddressFamilies.ProtoIpv4,
        Address = ByteString.CopyFrom(address.ToBytes()),
    };

    private static Proto.MacAddress? ToMac(MacAddress mac) => mac.IsZero ? null : new() { Address = ByteString.CopyFrom(mac.ToBytes()) };

    /// <summary>The protobuf form of an address, always present (attribute values need one even for 0.0.0.0).</summary>
    public static Proto.IpAddress ToIpMessage(IpAddress address) => new()
    {
        Type = address.IsV6 ? AddressFamilies.ProtoIpv6 : AddressFamilies.ProtoIpv4,
        Address = ByteString.CopyFrom(address.ToBytes()),
    };

    /// <summary>The protobuf form of a MAC address, always present.</summary>
    public static Proto.MacAddress ToMacMessage(MacAddress mac) => new() { Address = ByteString.CopyFrom(mac.ToBytes()) };

    /// <summary>Reads a protobuf key; false for a wrong MAC or IP length, a wrong type or out-of-range fields.</summary>
    public static bool TryKey(Proto.SaiDashFlowKey message, out FlowKey key)
    {
        key = default;
        if (message.EniMac.Length != 6 || message.VnetId > ushort.MaxValue || message.IpProto > byte.MaxValue
            || message.SrcPort > ushort.MaxValue || message.DstPort > ushort.MaxValue
            || !TryIp(message.SrcIp, out var src) || !TryIp(message.DstIp, out var dst))
        {
            return false;
        }

        // A missing or zero address takes its partner's family, as the attribute view assembles a reverse key.
        if (src.IsV6 != dst.IsV6)
        {
            if (src.IsZero)
            {
                src = dst.IsV6 ? IpAddress.AnyV6 : IpAddress.AnyV4;
            }
            else if (dst.IsZero)
            {
                dst = src.IsV6 ? IpAddress.AnyV6 : IpAddress.AnyV4;
            }
            else
            {
                return false;
            }
        }

        key = new FlowKey(MacAddress.FromBytes(message.EniMac.Span), (ushort)message.VnetId, (byte)message.IpProto, src, dst,
            (ushort)message.SrcPort, (ushort)message.DstPort);
        return true;
    }

    /// <summary>An absent address is 0.0.0.0; a present one needs type 2 with 4 octets or type 10 with 16.</summary>
    /// <summary>Reads a protobuf address (absent = 0.0.0.0); false when type and length disagree.</summary>
    public static bool TryIp(Proto.IpAddress? message, out IpAddress address)
    {
        address = default;
        if (message is null)
        {
            return true;
        }

        int expected = message.Type switch
        {
            AddressFamilies.ProtoIpv4 => 4,
            AddressFamilies.ProtoIpv6 => 16,
            _ => -1,
        };
        return message.Address.Length == expected && IpAddress.TryFromBytes(message.Address.Span, out address);
    }

    /// <summary>An absent MAC is all-zero (the vendor default); a present one has exactly 6 octets.</summary>
    /// <summary>Reads a protobuf MAC (absent = zero); false unless 6 octets.</summary>
    public static bool TryMac(Proto.MacAddress? message, out MacAddress mac)
    {
        mac = default;
        if (message is null)
        {
            return true;
        }

        if (message.Address.Length != 6)
        {
            return false;
        }

        mac = MacAddress.FromBytes(message.Address.Span);
        return true;
    }

    /// <summary>A mask has 4 or 16 octets; an empty one is zero in its address's family.</summary>
    private static bool TryMask(ByteString bytes, IpAddress address, out IpAddress mask)
    {
        if (bytes.Length == 0)
        {
            mask = address.IsV6 ? IpAddress.AnyV6 : IpAddress.AnyV4;
            return true;
        }

        return IpAddress.TryFromBytes(bytes.Span, out mask);
    }
}
