using System.Runtime.InteropServices;
using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Dataplane.Pipeline;

/// <summary>
/// The half-closed connections of D18's default mode: which directions have sent FIN, keyed by the connection (the
/// smaller of the pair's two keys), so a FIN costs one dictionary slot and nothing per packet.
/// </summary>
internal sealed class TcpCloseTracker
{
    private const byte LowerKeyClosed = 1;
    private const byte HigherKeyClosed = 2;

    private readonly Dictionary<FlowKey, byte> _closing = [];

    /// <summary>Connections with one direction closed.</summary>
    public int Count => _closing.Count;

    /// <summary>Marks the direction of <paramref name="key"/> closed; true when both directions now are (and forgets the connection).</summary>
    public bool CloseDirection(in FlowKey key, in FlowKey reverse)
    {
        bool lower = Compare(in key, in reverse) <= 0;
        var connection = lower ? key : reverse;
        ref byte state = ref CollectionsMarshal.GetValueRefOrAddDefault(_closing, connection, out _);
        state |= lower ? LowerKeyClosed : HigherKeyClosed;
        if (state == (LowerKeyClosed | HigherKeyClosed))
        {
            _closing.Remove(connection);
            return true;
        }

        return false;
    }

    /// <summary>Forgets a connection that went away (RST, first-fin close).</summary>
    public void Forget(in FlowKey key, in FlowKey reverse) => _closing.Remove(Compare(in key, in reverse) <= 0 ? key : reverse);

    /// <summary>Forgets half-closed connections whose flows left the table another way (aging, the app).</summary>
    public void Prune(FlowTable table)
    {
        foreach (var connection in _closing.Keys)
        {
            if (!table.Contains(connection))
            {
                _closing.Remove(connection);
            }
        }
    }

    private static int Compare(in FlowKey a, in FlowKey b) =>
        MemoryMarshal.AsBytes(new ReadOnlySpan<FlowKey>(in a)).SequenceCompareTo(MemoryMarshal.AsBytes(new ReadOnlySpan<FlowKey>(in b)));
}
