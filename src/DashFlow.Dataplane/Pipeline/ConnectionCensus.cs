using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Dataplane.Pipeline;

/// <summary>Connections in a table: a linked pair (D5) counts once, a unidirectional entry once, by IP protocol.</summary>
public sealed class ConnectionCensus
{
    private ConnectionCensus(long entries, Dictionary<byte, long> byProtocol)
    {
        Entries = entries;
        ByProtocol = byProtocol;
        Connections = byProtocol.Values.Sum();
    }

    /// <summary>Flow entries seen.</summary>
    public long Entries { get; }

    /// <summary>Connections seen.</summary>
    public long Connections { get; }

    /// <summary>Connections by IP protocol number.</summary>
    public IReadOnlyDictionary<byte, long> ByProtocol { get; }

    /// <summary>Counts <paramref name="table"/>'s connections with one lock-free scan.</summary>
    public static ConnectionCensus Take(FlowTable table)
    {
        var visitor = new Visitor { Halves = new Dictionary<byte, long>(), Whole = new Dictionary<byte, long>() };
        table.ScanAll(ref visitor);

        var byProtocol = new Dictionary<byte, long>();
        foreach (var (protocol, halves) in visitor.Halves)
        {
            byProtocol[protocol] = (halves + 1) / 2;
        }

        foreach (var (protocol, whole) in visitor.Whole)
        {
            byProtocol[protocol] = byProtocol.GetValueOrDefault(protocol) + whole;
        }

        return new ConnectionCensus(visitor.Entries, byProtocol);
    }

    private struct Visitor : IFlowScanVisitor
    {
        public Dictionary<byte, long> Halves; // bidirectional entries: two make a connection
        public Dictionary<byte, long> Whole;  // unidirectional entries
        public long Entries;

        public readonly bool NeedsState => false;

        public readonly bool Accept(in FlowEntryView view) => true;

        public bool Visit(in FlowEntryView view, in FlowState state, ReadOnlySpan<byte> vendorMetadata)
        {
            Entries++;
            var counts = view.IsUnidirectional ? Whole : Halves;
            counts[view.Key.IpProtocol] = counts.GetValueOrDefault(view.Key.IpProtocol) + 1;
            return true;
        }
    }
}
