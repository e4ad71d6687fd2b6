using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Sessions;

/// <summary>
/// Up to five AND-ed filters compiled for a scan. Every filter is an interval on one field (EQUAL_TO [v, v],
/// GREATER_THAN [v+1, max], ...), so a filter set is one interval per field: the intersection of its filters'. An entry
/// matches when each constrained field lies in its interval, which costs one unsigned compare per field however many
/// filters constrain it. An empty interval makes <see cref="MatchesNothing"/> true and the scan can be skipped.
/// </summary>
/// <remarks>
/// Fields are read straight from the key's words (the layout documented on <see cref="FlowKey"/>): no address or MAC
/// value is built per entry. IP intervals are 128-bit and carry the family: an entry of the other family never matches
/// (D13). FLOW_TABLE_ID is not tested per entry; it selects the tables to scan (<see cref="AllowsTable"/>).
/// </remarks>
public sealed class FlowFilterPredicate
{
    [Flags]
    private enum Fields : ushort
    {
        None = 0,
        EniMac = 1,
        VnetId = 2,
        IpProtocol = 4,
        SrcPort = 8,
        DstPort = 16,
        Version = 32,
        SrcIp = 64,
        DstIp = 128,
        Aged = 256,
        Table = 512,
    }

    private Fields _fields;
    private Interval _mac = Interval.Full(0xFFFF_FFFF_FFFFUL);
    private Interval _vnet = Interval.Full(ushort.MaxValue);
    private Interval _proto = Interval.Full(byte.MaxValue);
    private Interval _srcPort = Interval.Full(ushort.MaxValue);
    private Interval _dstPort = Interval.Full(ushort.MaxValue);
    private Interval _version = Interval.Full(uint.MaxValue);
    private Interval _table = Interval.Full(ulong.MaxValue);
    private IpInterval _srcIp;
    private IpInterval _dstIp;
    private bool _aged;

    private FlowFilterPredicate()
    {
    }

    /// <summary>A predicate that accepts every entry (a session without filters).</summary>
    public static FlowFilterPredicate All { get; } = new();

    /// <summary>True when no entry can match (some field's interval is empty, or two filters contradict).</summary>
    public bool MatchesNothing { get; private set; }

    /// <summary>True when no filter constrains an entry field (only the table, if anything).</summary>
    public bool MatchesEveryEntry => (_fields & ~Fields.Table) == 0 && !MatchesNothing;

    /// <summary>Compiles valid filters (see <see cref="BulkGetFilter.IsValid"/>); an invalid one throws.</summary>
    /// <exception cref="ArgumentException">A filter is not valid.</exception>
    public static FlowFilterPredicate Compile(ReadOnlySpan<BulkGetFilter> filters)
    {
        var predicate = new FlowFilterPredicate();
        foreach (ref readonly var filter in filters)
        {
            if (!filter.IsValid)
            {
                throw new ArgumentException($"Invalid filter {filter}.", nameof(filters));
            }

            predicate.Add(in filter);
        }

        return predicate;
    }

    /// <summary>True when entries of table <paramref name="tableId"/> may match (FLOW_TABLE_ID filters).</summary>
    public bool AllowsTable(ulong tableId) => !MatchesNothing && _table.Contains(tableId);

    /// <summary>Evaluates the filters on an entry seen by a scan.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Matches(in FlowEntryView view)
    {
        var fields = _fields & ~Fields.Table;
        if (fields == Fields.None || MatchesNothing)
        {
            return !MatchesNothing;
        }

        return MatchesSlow(in view, fields);
    }

    private bool MatchesSlow(in FlowEntryView view, Fields fields)
    {
        ref readonly FlowKey k = ref view.Key;
        if ((fields & Fields.Version) != 0 && !_version.Contains(view.Version))
        {
            return false;
        }

        if ((fields & Fields.EniMac) != 0 && !_mac.Contains(BinaryPrimitives.ReverseEndianness(k.W0) >> 16))
        {
            return false;
        }

        if ((fields & Fields.VnetId) != 0 && !_vnet.Contains(k.W0 >> 48))
        {
            return false;
        }

        ulong w5 = k.W5;
        if ((fields & Fields.SrcPort) != 0 && !_srcPort.Contains(w5 & 0xFFFF))
        {
            return false;
        }

        if ((fields & Fields.DstPort) != 0 && !_dstPort.Contains((w5 >> 16) & 0xFFFF))
        {
            return false;
        }

        if ((fields & Fields.IpProtocol) != 0 && !_proto.Contains((w5 >> 32) & 0xFF))
        {
            return false;
        }

        bool v6 = ((w5 >> 40) & 0xFF) != 0;
        if ((fields & Fields.SrcIp) != 0 && !_srcIp.Contains(v6, k.W1, k.W2))
        {
            return false;
        }

        if ((fields & Fields.DstIp) != 0 && !_dstIp.Contains(v6, k.W3, k.W4))
        {
            return false;
        }

        return (fields & Fields.Aged) == 0 || view.IsAged == _aged;
    }

    private void Add(in BulkGetFilter filter)
    {
        switch (filter.Key)
        {
            case BulkGetFilterKey.FlowTableId:
                Constrain(ref _table, Fields.Table, filter.Op, filter.IntValue);
                break;
            case BulkGetFilterKey.EniMac:
                Constrain(ref _mac, Fields.EniMac, filter.Op, filter.MacValue.Value);
                break;
            case BulkGetFilterKey.IpProtocol:
                Constrain(ref _proto, Fields.IpProtocol, filter.Op, filter.IntValue);
                break;
            case BulkGetFilterKey.SrcL4Port:
                Constrain(ref _srcPort, Fields.SrcPort, filter.Op, filter.IntValue);
                break;
            case BulkGetFilterKey.DstL4Port:
                Constrain(ref _dstPort, Fields.DstPort, filter.Op, filter.IntValue);
                break;
            case BulkGetFilterKey.KeyVersion:
                Constrain(ref _version, Fields.Version, filter.Op, filter.IntValue);
                break;
            case BulkGetFilterKey.VnetId:
                Constrain(ref _vnet, Fields.VnetId, filter.Op, filter.IntValue);
                break;
            case BulkGetFilterKey.SrcIpAddr:
                _fields |= Fields.SrcIp;
                MatchesNothing |= !_srcIp.Constrain(filter.Op, filter.IpValue);
                break;
            case BulkGetFilterKey.DstIpAddr:
                _fields |= Fields.DstIp;
                MatchesNothing |= !_dstIp.Constrain(filter.Op, filter.IpValue);
                break;
            case BulkGetFilterKey.Aged:
                bool aged = filter.IntValue != 0;
                MatchesNothing |= (_fields & Fields.Aged) != 0 && _aged != aged;
                _fields |= Fields.Aged;
                _aged = aged;
                break;
        }
    }

    private void Constrain(ref Interval interval, Fields field, BulkGetFilterOp op, ulong value)
    {
        _fields |= field;
        MatchesNothing |= !interval.Constrain(op, value);
    }

    /// <summary>An unsigned interval [Low, High] within [0, Max]; empty once Low &gt; High.</summary>
    private struct Interval
    {
        public ulong Low;
        public ulong High;
        public ulong Max;

        public static Interval Full(ulong max) => new() { Low = 0, High = max, Max = max };

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly bool Contains(ulong value) => value - Low <= High - Low;

        /// <summary>Intersects with the op's interval; false when the result is empty.</summary>
        public bool Constrain(BulkGetFilterOp op, ulong value)
        {
            ulong low = 0, high = Max;
            switch (op)
            {
                case BulkGetFilterOp.EqualTo:
                    (low, high) = (value, value);
                    break;
                case BulkGetFilterOp.GreaterThan:
                    if (value >= Max)
                    {
                        return Empty();
                    }

                    low = value + 1;
                    break;
                case BulkGetFilterOp.GreaterThanOrEqualTo:
                    low = value;
                    break;
                case BulkGetFilterOp.LessThan:
                    if (value == 0)
                    {
                        return Empty();
                    }

                    high = Math.Min(value - 1, Max);
                    break;
                case BulkGetFilterOp.LessThanOrEqualTo:
                    high = Math.Min(value, Max);
                    break;
                default:
                    return Empty();
            }

            Low = Math.Max(Low, low);
            High = Math.Min(High, high);
            return Low <= High || Empty();
        }

        private bool Empty()
        {
            (Low, High) = (1, 0);
            return false;
        }
    }

    /// <summary>A 128-bit address interval in one family (the family of the first IP filter on the field).</summary>
    private struct IpInterval
    {
        private bool _constrained;
        private bool _v6;
        private bool _empty;
        private UInt128 _low;
        private UInt128 _high;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly bool Contains(bool v6, ulong highWord, ulong lowWord)
        {
            if (v6 != _v6)
            {
                return false;
            }

            UInt128 value = v6
                ? new UInt128(BinaryPrimitives.ReverseEndianness(highWord), BinaryPrimitives.ReverseEndianness(lowWord))
                : BinaryPrimitives.ReverseEndianness((uint)(lowWord >> 32));
            return value >= _low && value <= _high;
        }

        public bool Constrain(BulkGetFilterOp op, IpAddress address)
        {
            UInt128 max = address.IsV6 ? UInt128.MaxValue : uint.MaxValue;
            if (!_constrained)
            {
                (_constrained, _v6, _low, _high) = (true, address.IsV6, UInt128.Zero, max);
            }
            else if (_v6 != address.IsV6)
            {
                _empty = true; // one field, two families: nothing is in both
            }

            UInt128 value = new(address.High, address.Low);
            switch (op)
            {
                case BulkGetFilterOp.EqualTo:
                    _low = UInt128.Max(_low, value);
                    _high = UInt128.Min(_high, value);
                    break;
                case BulkGetFilterOp.GreaterThan:
                    _empty |= value >= max;
                    _low = value >= max ? _low : UInt128.Max(_low, value + 1);
                    break;
                case BulkGetFilterOp.GreaterThanOrEqualTo:
                    _low = UInt128.Max(_low, value);
                    break;
                case BulkGetFilterOp.LessThan:
                    _empty |= value == UInt128.Zero;
                    _high = value == UInt128.Zero ? _high : UInt128.Min(_high, value - 1);
                    break;
                case BulkGetFilterOp.LessThanOrEqualTo:
                    _high = UInt128.Min(_high, value);
                    break;
                default:
                    _empty = true;
                    break;
            }

            _empty |= _low > _high;
            return !_empty;
        }
    }
}
