using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using DashFlow.Api;
using DashFlow.Model;

namespace DashFlow.Records;

/// <summary>
/// Reads a <c>SaiDashFlowEntry</c> straight from its bytes, without building messages: the fast path of
/// <see cref="FlowRecordCodec.TryDecode"/>. It follows the generated parser's rules for the fields it knows (last value
/// wins, a repeated sub-message merges, uint32 keeps a varint's low 32 bits) and gives up, returning null, on anything
/// else (unknown fields, other wire types, malformed bytes), so the caller falls back to the generated parser and the
/// answer is always the same as the generated parser's plus <see cref="FlowRecordCodec.TryFromMessage"/>.
/// </summary>
internal static class FlowRecordReader
{
    private const int Varint = 0;
    private const int Length = 2;

    private struct RawBytes
    {
        public int Offset;
        public int Count;
    }

    private struct RawIp
    {
        public bool Present;
        public uint Type;
        public RawBytes Address;
    }

    private struct RawMac
    {
        public bool Present;
        public RawBytes Address;
    }

    private struct RawKey
    {
        public bool Present;
        public RawBytes EniMac;
        public uint VnetId, Proto, SrcPort, DstPort;
        public RawIp Src, Dst;
    }

    private struct RawState
    {
        public uint Version, Direction, Actions, MeterClass, U0Vni, U0Encap, U1Vni, U1Encap, SyncState, Action;
        public bool Unidirectional;
        public RawIp U0Sip, U0Dip, U1Sip, U1Dip, Sip, Dip;
        public RawMac U1Smac, U1Dmac, DstMac, U0Smac, U0Dmac;
        public RawBytes SipMask, DipMask, Vendor;
    }

    /// <summary>SUCCESS or INVALID_PARAMETER as the slow path would answer; null when the caller must use the slow path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SaiStatus? TryRead(ReadOnlySpan<byte> data, out FlowKey key, out FlowState state, out byte[] vendorMetadata)
    {
        key = default;
        state = default;
        vendorMetadata = [];
        RawKey rawKey = default, rawReverse = default;
        RawState rawState = default;
        if (!ParseEntry(data, ref rawKey, ref rawReverse, ref rawState))
        {
            return null;
        }

        if (!rawKey.Present || !TryKey(data, in rawKey, out key) || !key.HasConsistentFamily)
        {
            return SaiStatus.InvalidParameter;
        }

        var reverse = default(FlowKey);
        if (rawReverse.Present && !TryKey(data, in rawReverse, out reverse))
        {
            return SaiStatus.InvalidParameter;
        }

        ref readonly var s = ref rawState;
        bool ok = s.Direction <= (uint)FlowDirection.Inbound
            && (s.Actions & ~(uint)FlowAction.All) == 0
            && s.U0Vni <= FlowEntryDraft.MaxVni
            && s.U1Vni <= FlowEntryDraft.MaxVni
            && s.U0Encap <= (uint)DashEncapsulation.Nvgre
            && s.U1Encap <= (uint)DashEncapsulation.Nvgre
            && s.SyncState <= (uint)FlowSyncState.FlowPendingResimulation
            && s.Action == (uint)FlowEntryAction.SetFlowEntryAttr
            && s.Vendor.Count <= FlowEntryDraft.MaxVendorMetadata;
        if (!ok)
        {
            return SaiStatus.InvalidParameter;
        }

        var result = new FlowState
        {
            Version = s.Version,
            Direction = (FlowDirection)s.Direction,
            Actions = (FlowAction)s.Actions,
            MeterClass = s.MeterClass,
            IsUnidirectional = s.Unidirectional,
            ReverseKey = reverse,
            SyncState = (FlowSyncState)s.SyncState,
        };
        ref var u0 = ref result.Rewrite.Underlay0;
        ref var u1 = ref result.Rewrite.Underlay1;
        ref var overlay = ref result.Rewrite.Overlay;
        u0.VnetId = s.U0Vni;
        u0.Encapsulation = (DashEncapsulation)s.U0Encap;
        u1.VnetId = s.U1Vni;
        u1.Encapsulation = (DashEncapsulation)s.U1Encap;
        ok = TryIp(data, in s.U0Sip, out u0.Sip) && TryIp(data, in s.U0Dip, out u0.Dip)
            && TryMac(data, in s.U0Smac, out u0.Smac) && TryMac(data, in s.U0Dmac, out u0.Dmac)
            && TryIp(data, in s.U1Sip, out u1.Sip) && TryIp(data, in s.U1Dip, out u1.Dip)
            && TryMac(data, in s.U1Smac, out u1.Smac) && TryMac(data, in s.U1Dmac, out u1.Dmac)
            && TryMac(data, in s.DstMac, out overlay.DstMac) && TryIp(data, in s.Sip, out overlay.Sip) && TryIp(data, in s.Dip, out overlay.Dip)
            && TryMask(data, s.SipMask, overlay.Sip, out overlay.SipMask) && TryMask(data, s.DipMask, overlay.Dip, out overlay.DipMask);
        if (!ok || FlowEntryDraft.ValidateState(in result, FlowCapabilities.Schema) != SaiStatus.Success)
        {
            return SaiStatus.InvalidParameter;
        }

        state = result;
        vendorMetadata = s.Vendor.Count == 0 ? [] : data.Slice(s.Vendor.Offset, s.Vendor.Count).ToArray();
        return SaiStatus.Success;
    }

    // ---- wire format: only the fields and wire types of dash_flow.proto; anything else is left to the generated parser ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool ParseEntry(ReadOnlySpan<byte> data, ref RawKey key, ref RawKey reverse, ref RawState state)
    {
        int p = 0;
        while (p < data.Length)
        {
            if (!TryTag(data, ref p, out int field, out int wire) || wire != Length || !TryLength(data, ref p, out int start, out int count))
            {
                return false;
            }

            var body = data.Slice(start, count);
            bool ok = field switch
            {
                1 => ParseKey(body, start, ref key),
                2 => ParseKey(body, start, ref reverse),
                3 => ParseState(body, start, ref state),
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool ParseKey(ReadOnlySpan<byte> d, int baseOffset, ref RawKey key)
    {
        key.Present = true;
        int p = 0;
        while (p < d.Length)
        {
            if (!TryTag(d, ref p, out int field, out int wire))
            {
                return false;
            }

            bool ok = (field, wire) switch
            {
                (1, Length) => TryBytes(d, ref p, baseOffset, out key.EniMac),
                (2, Varint) => TryU32(d, ref p, out key.VnetId),
                (3, Length) => TrySub(d, ref p, baseOffset, ref key.Src),
                (4, Length) => TrySub(d, ref p, baseOffset, ref key.Dst),
                (5, Varint) => TryU32(d, ref p, out key.Proto),
                (6, Varint) => TryU32(d, ref p, out key.SrcPort),
                (7, Varint) => TryU32(d, ref p, out key.DstPort),
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool ParseState(ReadOnlySpan<byte> d, int baseOffset, ref RawState s)
    {
        int p = 0;
        while (p < d.Length)
        {
            if (!TryTag(d, ref p, out int field, out int wire))
            {
                return false;
            }

            bool ok = (field, wire) switch
            {
                (1, Varint) => TryU32(d, ref p, out s.Version),
                (2, Varint) => TryU32(d, ref p, out s.Direction),
                (3, Varint) => TryU32(d, ref p, out s.Actions),
                (4, Varint) => TryU32(d, ref p, out s.MeterClass),
                (5, Varint) => TryBool(d, ref p, out s.Unidirectional),
                (6, Varint) => TryU32(d, ref p, out s.U0Vni),
                (7, Length) => TrySub(d, ref p, baseOffset, ref s.U0Sip),
                (8, Length) => TrySub(d, ref p, baseOffset, ref s.U0Dip),
                (9, Varint) => TryU32(d, ref p, out s.U0Encap),
                (10, Varint) => TryU32(d, ref p, out s.U1Vni),
                (11, Length) => TrySub(d, ref p, baseOffset, ref s.U1Sip),
                (12, Length) => TrySub(d, ref p, baseOffset, ref s.U1Dip),
                (13, Length) => TrySub(d, ref p, baseOffset, ref s.U1Smac),
                (14, Length) => TrySub(d, ref p, baseOffset, ref s.U1Dmac),
                (15, Varint) => TryU32(d, ref p, out s.U1Encap),
                (16, Length) => TrySub(d, ref p, baseOffset, ref s.DstMac),
                (17, Length) => TrySub(d, ref p, baseOffset, ref s.Sip),
                (18, Length) => TrySub(d, ref p, baseOffset, ref s.Dip),
                (19, Length) => TryBytes(d, ref p, baseOffset, out s.SipMask),
                (20, Length) => TryBytes(d, ref p, baseOffset, out s.DipMask),
                (21, Length) => TrySub(d, ref p, baseOffset, ref s.U0Smac),
                (22, Length) => TrySub(d, ref p, baseOffset, ref s.U0Dmac),
                (23, Varint) => TryU32(d, ref p, out s.SyncState),
                (24, Length) => TryBytes(d, ref p, baseOffset, out s.Vendor),
                (25, Varint) => TryU32(d, ref p, out s.Action),
                (26, Varint) => TryU32(d, ref p, out _), // ip_addr_family: output only, ignored on input
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TrySub(ReadOnlySpan<byte> d, ref int p, int baseOffset, ref RawIp ip)
    {
        if (!TryLength(d, ref p, out int start, out int count))
        {
            return false;
        }

        ip.Present = true;
        var body = d.Slice(start, count);
        int q = 0;
        while (q < body.Length)
        {
            if (!TryTag(body, ref q, out int field, out int wire))
            {
                return false;
            }

            bool ok = (field, wire) switch
            {
                (1, Varint) => TryU32(body, ref q, out ip.Type),
                (2, Length) => TryBytes(body, ref q, baseOffset + start, out ip.Address),
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TrySub(ReadOnlySpan<byte> d, ref int p, int baseOffset, ref RawMac mac)
    {
        if (!TryLength(d, ref p, out int start, out int count))
        {
            return false;
        }

        mac.Present = true;
        var body = d.Slice(start, count);
        int q = 0;
        while (q < body.Length)
        {
            if (!TryTag(body, ref q, out int field, out int wire) || (field, wire) != (1, Length)
                || !TryBytes(body, ref q, baseOffset + start, out mac.Address))
            {
                return false;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static bool TryTag(ReadOnlySpan<byte> d, ref int p, out int field, out int wire)
    {
        field = wire = 0;
        if (!TryVarint(d, ref p, out ulong tag) || tag > uint.MaxValue || (tag >> 3) == 0)
        {
            return false;
        }

        field = (int)(tag >> 3);
        wire = (int)(tag & 7);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static bool TryLength(ReadOnlySpan<byte> d, ref int p, out int start, out int count)
    {
        start = count = 0;
        if (!TryVarint(d, ref p, out ulong length) || length > (ulong)(d.Length - p))
        {
            return false;
        }

        start = p;
        count = (int)length;
        p += count;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static bool TryBytes(ReadOnlySpan<byte> d, ref int p, int baseOffset, out RawBytes bytes)
    {
        bytes = default;
        if (!TryLength(d, ref p, out int start, out int count))
        {
            return false;
        }

        bytes = new RawBytes { Offset = baseOffset + start, Count = count };
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static bool TryU32(ReadOnlySpan<byte> d, ref int p, out uint value)
    {
        bool ok = TryVarint(d, ref p, out ulong raw);
        value = (uint)raw; // as the generated parser: uint32 keeps the low 32 bits
        return ok;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static bool TryBool(ReadOnlySpan<byte> d, ref int p, out bool value)
    {
        bool ok = TryVarint(d, ref p, out ulong raw);
        value = raw != 0;
        return ok;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static bool TryVarint(ReadOnlySpan<byte> d, ref int p, out ulong value)
    {
        // Tags, lengths and most values of a record are one byte: that case stays inline, the rest takes the loop.
        if ((uint)p < (uint)d.Length && d[p] < 0x80)
        {
            value = d[p++];
            return true;
        }

        return TryVarintLong(d, ref p, out value);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static bool TryVarintLong(ReadOnlySpan<byte> d, ref int p, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 64 && p < d.Length; shift += 7)
        {
            byte b = d[p++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false; // truncated or longer than ten bytes: the slow path decides
    }

    // ---- the same conversions and checks as FlowRecordCodec.TryFromMessage ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryKey(ReadOnlySpan<byte> data, in RawKey raw, out FlowKey key)
    {
        key = default;
        if (raw.EniMac.Count != 6 || raw.VnetId > ushort.MaxValue || raw.Proto > byte.MaxValue
            || raw.SrcPort > ushort.MaxValue || raw.DstPort > ushort.MaxValue
            || !TryIp(data, in raw.Src, out var src) || !TryIp(data, in raw.Dst, out var dst))
        {
            return false;
        }

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

        var mac = data.Slice(raw.EniMac.Offset, 6);
        key = new FlowKey(new MacAddress(((ulong)BinaryPrimitives.ReadUInt16BigEndian(mac) << 32) | BinaryPrimitives.ReadUInt32BigEndian(mac[2..])),
            (ushort)raw.VnetId, (byte)raw.Proto, src, dst, (ushort)raw.SrcPort, (ushort)raw.DstPort);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryIp(ReadOnlySpan<byte> data, in RawIp raw, out IpAddress address)
    {
        address = default;
        if (!raw.Present)
        {
            return true;
        }

        int expected = raw.Type switch
        {
            AddressFamilies.ProtoIpv4 => 4,
            AddressFamilies.ProtoIpv6 => 16,
            _ => -1,
        };
        return raw.Address.Count == expected && IpAddress.TryFromBytes(data.Slice(raw.Address.Offset, expected), out address);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryMac(ReadOnlySpan<byte> data, in RawMac raw, out MacAddress mac)
    {
        mac = default;
        if (!raw.Present)
        {
            return true;
        }

        if (raw.Address.Count != 6)
        {
            return false;
        }

        mac = MacAddress.FromBytes(data.Slice(raw.Address.Offset, 6));
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryMask(ReadOnlySpan<byte> data, RawBytes raw, IpAddress address, out IpAddress mask)
    {
        if (raw.Count == 0)
        {
            mask = address.IsV6 ? IpAddress.AnyV6 : IpAddress.AnyV4;
            return true;
        }

        return IpAddress.TryFromBytes(data.Slice(raw.Offset, raw.Count), out mask);
    }
}
