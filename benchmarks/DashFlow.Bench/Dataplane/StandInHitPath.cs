using DashFlow.Dataplane.Packets;
using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Bench.Dataplane;

/// <summary>
/// The hit path of the pipeline as the benchmark runs it until the real pipeline (branch dp) lands: parse the frame down to
/// the innermost packet, key it (VNI → VNET id by identity), look it up, read the rewrite, and write the ENCAP_U0 frame of
/// the inner packet into the output buffer. Misses and other actions are counted, not handled.
/// </summary>
public sealed class StandInHitPath(FlowTable table, MacAddress eniMac)
{
    /// <summary>Packets that missed or whose entry changed under the read.</summary>
    public long Misses { get; private set; }

    /// <summary>Processes one frame; returns the output length (0 when the packet was not forwarded).</summary>
    public int Process(ReadOnlySpan<byte> frame, Span<byte> output)
    {
        if (PacketParser.Parse(frame, out var packet) != DropReason.None)
        {
            return 0;
        }

        var key = packet.ToFlowKey(eniMac, (ushort)packet.TunnelId);
        if (!table.TryLookup(in key, out var hit) || (hit.Actions & FlowAction.EncapU0) == 0 || !table.TryReadRewrite(in hit, out var rewrite))
        {
            Misses++;
            return 0;
        }

        var inner = frame[packet.InnerFrameOffset..];
        return Encapsulation.TryEncapsulate(inner, output, in rewrite.Underlay0, packet.FlowHash(), out int written) ? written : 0;
    }
}
