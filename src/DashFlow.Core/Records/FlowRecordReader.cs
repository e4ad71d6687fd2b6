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
        if (TryReadCanonical(data, out key, out state, out vendorMetadata))
        {
            return SaiStatus.Success;
        }

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
        bool ok = InRange(s.Direction, s.Actions, s.U0Vni, s.U1Vni, s.U0Encap, s.U1Encap, s.SyncState, s.Vendor.Count)
            && s.Action == (uint)FlowEntryAction.SetFlowEntryAttr;
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

    /// <summary>The numeric fields' ranges, checked before they are cast to their enums (both readers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool InRange(uint direction, uint actions, uint u0Vni, uint u1Vni, uint u0Encap, uint u1Encap, uint syncState, int vendorCount) =>
        direction <= (uint)FlowDirection.Inbound
        && (actions & ~(uint)FlowAction.All) == 0
        && u0Vni <= FlowEntryDraft.MaxVni
        && u1Vni <= FlowEntryDraft.MaxVni
        && u0Encap <= (uint)DashEncapsulation.Nvgre
        && u1Encap <= (uint)DashEncapsulation.Nvgre
        && syncState <= (uint)FlowSyncState.FlowPendingResimulation
        && vendorCount <= FlowEntryDraft.MaxVendorMetadata;

    // ---- the canonical layout: what FlowRecordWriter (and the generated code) writes ----

    /// <summary>
    /// Reads a valid record laid out as <see cref="FlowRecordWriter"/> writes it (fields in number order, each at most once,
    /// minimal varints, the key and reverse key always present) in one pass straight into the result. Anything else, and
    /// any record that would not be SUCCESS, returns false and is left to the general reader, so a true answer is always
    /// the general reader's SUCCESS with the same key, state and vendor metadata.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool TryReadCanonical(ReadOnlySpan<byte> d, out FlowKey key, out FlowState state, out byte[] vendorMetadata)
    {
        state = default;
        vendorMetadata = [];
        int p = 0;
        if (!CanonicalKey(d, ref p, 0x0A, out key) || !key.HasConsistentFamily || !CanonicalKey(d, ref p, 0x12, out var reverse)
            || !Next(d, ref p, 0x1A, 0) || !TryLength(d, ref p, out int start, out int count) || p != d.Length)
        {
            return false; // the state is the last field: nothing may follow it
        }

        var s = d.Slice(start, count);
        p = 0;
        var result = new FlowState { ReverseKey = reverse };
        ref var u0 = ref result.Rewrite.Underlay0;
        ref var u1 = ref result.Rewrite.Underlay1;
        ref var overlay = ref result.Rewrite.Overlay;
        uint direction = 0, actions = 0, u0Encap = 0, u1Encap = 0, syncState = 0;
        int vendorAt = 0, vendorCount = 0;
        bool ok = CanonicalU32(s, ref p, 0x08, out result.Version)
            && CanonicalU32(s, ref p, 0x10, out direction)
            && CanonicalU32(s, ref p, 0x18, out actions)
            && CanonicalU32(s, ref p, 0x20, out result.MeterClass)
            && CanonicalBool(s, ref p, 0x28, out result.IsUnidirectional)
            && CanonicalU32(s, ref p, 0x30, out u0.VnetId)
            && CanonicalIp(s, ref p, 0x3A, 0, out u0.Sip)
            && CanonicalIp(s, ref p, 0x42, 0, out u0.Dip)
            && CanonicalU32(s, ref p, 0x48, out u0Encap)
            && CanonicalU32(s, ref p, 0x50, out u1.VnetId)
            && CanonicalIp(s, ref p, 0x5A, 0, out u1.Sip)
            && CanonicalIp(s, ref p, 0x62, 0, out u1.Dip)
            && CanonicalMac(s, ref p, 0x6A, 0, out u1.Smac)
            && CanonicalMac(s, ref p, 0x72, 0, out u1.Dmac)
            && CanonicalU32(s, ref p, 0x78, out u1Encap)
            && CanonicalMac(s, ref p, 0x82, 0x01, out overlay.DstMac)
            && CanonicalIp(s, ref p, 0x8A, 0x01, out overlay.Sip)
            && CanonicalIp(s, ref p, 0x92, 0x01, out overlay.Dip)
            && CanonicalMask(s, ref p, 0x9A, overlay.Sip, out overlay.SipMask)
            && CanonicalMask(s, ref p, 0xA2, overlay.Dip, out overlay.DipMask)
            && CanonicalMac(s, ref p, 0xAA, 0x01, out u0.Smac)
            && CanonicalMac(s, ref p, 0xB2, 0x01, out u0.Dmac)
            && CanonicalU32(s, ref p, 0xB8, 0x01, out syncState)
            && CanonicalVendor(s, ref p, out vendorAt, out vendorCount)
            && CanonicalU32(s, ref p, 0xD0, 0x01, out _) // ip_addr_family: output only, ignored on input
            && p == s.Length; // field 25 (action) is never written: present, or anything unknown, goes to the general reader
        if (!ok || !InRange(direction, actions, u0.VnetId, u1.VnetId, u0Encap, u1Encap, syncState, vendorCount))
        {
            return false;
        }

        result.Direction = (FlowDirection)direction;
        result.Actions = (FlowAction)actions;
        result.SyncState = (FlowSyncState)syncState;
        u0.Encapsulation = (DashEncapsulation)u0Encap;
        u1.Encapsulation = (DashEncapsulation)u1Encap;
        if (FlowEntryDraft.ValidateState(in result, FlowCapabilities.Schema) != SaiStatus.Success)
        {
            return false;
        }

        state = result;
        vendorMetadata = vendorCount == 0 ? [] : s.Slice(vendorAt, vendorCount).ToArray();
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool At(ReadOnlySpan<byte> d, int p, byte tag) => (uint)p < (uint)d.Length && d[p] == tag;

    /// <summary>True when the (one or two byte) tag is next; moves past it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Next(ReadOnlySpan<byte> d, ref int p, byte tag, byte tag2)
    {
        if (!At(d, p, tag) || (tag2 != 0 && !At(d, p + 1, tag2)))
        {
            return false;
        }

        p += tag2 != 0 ? 2 : 1;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool CanonicalKey(ReadOnlySpan<byte> d, ref int p, byte tag, out FlowKey key)
    {
        key = default;
        if (!Next(d, ref p, tag, 0) || !TryLength(d, ref p, out int start, out int count))
        {
            return false;
        }

        var k = d.Slice(start, count);
        int q = 0;
        if (!Next(k, ref q, 0x0A, 0) || !At(k, q, 6) || k.Length - q < 7)
        {
            return false;
        }

        var mac = k.Slice(q + 1, 6);
        q += 7;
        return CanonicalU32(k, ref q, 0x10, out uint vnetId) && vnetId <= ushort.MaxValue
            && CanonicalIp(k, ref q, 0x1A, 0, out var src)
            && CanonicalIp(k, ref q, 0x22, 0, out var dst)
            && CanonicalU32(k, ref q, 0x28, out uint proto) && proto <= byte.MaxValue
            && CanonicalU32(k, ref q, 0x30, out uint srcPort) && srcPort <= ushort.MaxValue
            && CanonicalU32(k, ref q, 0x38, out uint dstPort) && dstPort <= ushort.MaxValue
            && q == k.Length
            && TryBuildKey(mac, vnetId, proto, src, dst, srcPort, dstPort, out key);
    }

    /// <summary>An optional uint32 (absent is 0); a value beyond 32 bits goes to the general reader.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool CanonicalU32(ReadOnlySpan<byte> d, ref int p, byte tag, out uint value) => CanonicalU32(d, ref p, tag, 0, out value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool CanonicalU32(ReadOnlySpan<byte> d, ref int p, byte tag, byte tag2, out uint value)
    {
        value = 0;
        if (!Next(d, ref p, tag, tag2))
        {
            return true;
        }

        bool ok = TryVarint(d, ref p, out ulong raw) && raw <= uint.MaxValue;
        value = (uint)raw;
        return ok;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool CanonicalBool(ReadOnlySpan<byte> d, ref int p, byte tag, out bool value)
    {
        value = false;
        if (!Next(d, ref p, tag, 0))
        {
            return true;
        }

        value = true;
        return At(d, p++, 1); // the writer's true; any other value goes to the general reader
    }

    /// <summary>An optional IpAddress message: type then address, with the length its type needs (absent is 0.0.0.0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool CanonicalIp(ReadOnlySpan<byte> d, ref int p, byte tag, byte tag2, out IpAddress address)
    {
        address = default;
        if (!Next(d, ref p, tag, tag2))
        {
            return true;
        }

        // v4: 08 len=8 | 08 type 12 04 a b c d; v6: len=20 | 08 type 12 10 + 16 bytes
        if (At(d, p, 8) && d.Length - p >= 9 && d[p + 1] == 0x08 && d[p + 2] == AddressFamilies.ProtoIpv4 && d[p + 3] == 0x12 && d[p + 4] == 4)
        {
            p += 9;
            return IpAddress.TryFromBytes(d.Slice(p - 4, 4), out address);
        }

        if (At(d, p, 20) && d.Length - p >= 21 && d[p + 1] == 0x08 && d[p + 2] == AddressFamilies.ProtoIpv6 && d[p + 3] == 0x12 && d[p + 4] == 16)
        {
            p += 21;
            return IpAddress.TryFromBytes(d.Slice(p - 16, 16), out address);
        }

        return false;
    }

    /// <summary>An optional MacAddress message of six bytes (absent is zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool CanonicalMac(ReadOnlySpan<byte> d, ref int p, byte tag, byte tag2, out MacAddress mac)
    {
        mac = default;
        if (!Next(d, ref p, tag, tag2))
        {
            return true;
        }

        if (!At(d, p, 8) || d.Length - p < 9 || d[p + 1] != 0x0A || d[p + 2] != 6)
        {
            return false;
        }

        mac = MacAddress.FromBytes(d.Slice(p + 3, 6));
        p += 9;
        return true;
    }

    /// <summary>An optional mask (raw bytes, 4 or 16); absent is the address family's zero, as the general reader.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool CanonicalMask(ReadOnlySpan<byte> d, ref int p, byte tag, IpAddress address, out IpAddress mask)
    {
        if (!Next(d, ref p, tag, 0x01))
        {
            mask = address.IsV6 ? IpAddress.AnyV6 : IpAddress.AnyV4;
            return true;
        }

        mask = default;
        return TryLength(d, ref p, out int start, out int count) && count != 0 && IpAddress.TryFromBytes(d.Slice(start, count), out mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool CanonicalVendor(ReadOnlySpan<byte> d, ref int p, out int start, out int count)
    {
        start = count = 0;
        return !Next(d, ref p, 0xC2, 0x01) || (TryLength(d, ref p, out start, out count) && count != 0);
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

            bool ok = ((field << 3) | wire) switch // the tag itself: one jump table, not a chain of tuple compares
            {
                (1 << 3) | Length => TryBytes(d, ref p, baseOffset, out key.EniMac),
                (2 << 3) | Varint => TryU32(d, ref p, out key.VnetId),
                (3 << 3) | Length => TrySub(d, ref p, baseOffset, ref key.Src),
                (4 << 3) | Length => TrySub(d, ref p, baseOffset, ref key.Dst),
                (5 << 3) | Varint => TryU32(d, ref p, out key.Proto),
                (6 << 3) | Varint => TryU32(d, ref p, out key.SrcPort),
                (7 << 3) | Varint => TryU32(d, ref p, out key.DstPort),
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

            bool ok = ((field << 3) | wire) switch
            {
                (1 << 3) | Varint => TryU32(d, ref p, out s.Version),
                (2 << 3) | Varint => TryU32(d, ref p, out s.Direction),
                (3 << 3) | Varint => TryU32(d, ref p, out s.Actions),
                (4 << 3) | Varint => TryU32(d, ref p, out s.MeterClass),
                (5 << 3) | Varint => TryBool(d, ref p, out s.Unidirectional),
                (6 << 3) | Varint => TryU32(d, ref p, out s.U0Vni),
                (7 << 3) | Length => TrySub(d, ref p, baseOffset, ref s.U0Sip),
                (8 << 3) | Length => TrySub(d, ref p, baseOffset, ref s.U0Dip),
                (9 << 3) | Varint => TryU32(d, ref p, out s.U0Encap),
                (10 << 3) | Varint => TryU32(d, ref p, out s.U1Vni),
                (11 << 3) | Length => TrySub(d, ref p, baseOffset, ref s.U1Sip),
                (12 << 3) | Length => TrySub(d, ref p, baseOffset, ref s.U1Dip),
                (13 << 3) | Length => TrySub(d, ref p, baseOffset, ref s.U1Smac),
                (14 << 3) | Length => TrySub(d, ref p, baseOffset, ref s.U1Dmac),
                (15 << 3) | Varint => TryU32(d, ref p, out s.U1Encap),
                (16 << 3) | Length => TrySub(d, ref p, baseOffset, ref s.DstMac),
                (17 << 3) | Length => TrySub(d, ref p, baseOffset, ref s.Sip),
                (18 << 3) | Length => TrySub(d, ref p, baseOffset, ref s.Dip),
                (19 << 3) | Length => TryBytes(d, ref p, baseOffset, out s.SipMask),
                (20 << 3) | Length => TryBytes(d, ref p, baseOffset, out s.DipMask),
                (21 << 3) | Length => TrySub(d, ref p, baseOffset, ref s.U0Smac),
                (22 << 3) | Length => TrySub(d, ref p, baseOffset, ref s.U0Dmac),
                (23 << 3) | Varint => TryU32(d, ref p, out s.SyncState),
                (24 << 3) | Length => TryBytes(d, ref p, baseOffset, out s.Vendor),
                (25 << 3) | Varint => TryU32(d, ref p, out s.Action),
                (26 << 3) | Varint => TryU32(d, ref p, out _), // ip_addr_family: output only, ignored on input
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

            bool ok = ((field << 3) | wire) switch
            {
                (1 << 3) | Varint => TryU32(body, ref q, out ip.Type),
                (2 << 3) | Length => TryBytes(body, ref q, baseOffset + start, out ip.Address),
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
            if (!TryTag(body, ref q, out int field, out int wire) || ((field << 3) | wire) != ((1 << 3) | Length)
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

        return TryBuildKey(data.Slice(raw.EniMac.Offset, 6), raw.VnetId, raw.Proto, src, dst, raw.SrcPort, raw.DstPort, out key);
    }

    /// <summary>The key from its decoded fields: a zero address takes the other's family; two families fail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryBuildKey(ReadOnlySpan<byte> mac, uint vnetId, uint proto, IpAddress src, IpAddress dst, uint srcPort, uint dstPort, out FlowKey key)
    {
        key = default;
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

        key = new FlowKey(new MacAddress(((ulong)BinaryPrimitives.ReadUInt16BigEndian(mac) << 32) | BinaryPrimitives.ReadUInt32BigEndian(mac[2..])),
            (ushort)vnetId, (byte)proto, src, dst, (ushort)srcPort, (ushort)dstPort);
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
