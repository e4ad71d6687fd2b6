using DashFlow.Dataplane.Packets;
using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Bench.Dataplane;

/// <summary>
/// The hit path of the pipeline as the benchmark runs it until the real pipeline (branch dp) lands, in bursts as a DPDK
/// pipeline reads them: parse each frame down to the innermost packet and key it (VNI → VNET id by identity), look the
/// burst up in one batched, prefetching call, then read each hit's rewrite and write the ENCAP_U0 frame of the inner packet
/// into the output buffer. Misses and other actions are counted, not handled.
/// </summary>
public sealed class StandInHitPath(FlowTable table, MacAddress eniMac)
{
    /// <summary>The most frames one burst takes.</summary>
    public const int MaxBurst = 32;

    /// <summary>Packets that missed, did not parse, or whose entry changed under the read.</summary>
    public long Misses { get; private set; }

    /// <summary>Processes up to <see cref="MaxBurst"/> frames, frame i at <c>i * stride</c> of <paramref name="frames"/>
    /// with length <paramref name="lengths"/>[i]; returns the bytes written (each output overwrites the last).</summary>
    public long ProcessBurst(ReadOnlySpan<byte> frames, int stride, ReadOnlySpan<int> lengths, Span<byte> output)
    {
        int count = Math.Min(lengths.Length, MaxBurst);
        Span<ParsedPacket> packets = stackalloc ParsedPacket[MaxBurst];
        Span<FlowKey> keys = stackalloc FlowKey[MaxBurst];
        Span<FlowHit> hits = stackalloc FlowHit[MaxBurst];
        for (int i = 0; i < count; i++)
        {
            PacketParser.Parse(frames.Slice(i * stride, lengths[i]), out packets[i]);
            keys[i] = packets[i].ToFlowKey(eniMac, (ushort)packets[i].TunnelId); // an unparsed frame's zero key misses
        }

        table.LookupBatch(keys[..count], hits);
        long bytes = 0;
        for (int i = 0; i < count; i++)
        {
            ref readonly var hit = ref hits[i];
            if (!packets[i].IsValid || !hit.Found || (hit.Actions & FlowAction.EncapU0) == 0 || !table.TryReadRewrite(in hit, out var rewrite))
            {
                Misses++;
                continue;
            }

            var inner = frames.Slice((i * stride) + packets[i].InnerFrameOffset, lengths[i] - packets[i].InnerFrameOffset);
            if (Encapsulation.TryEncapsulate(inner, output, in rewrite.Underlay0, packets[i].FlowHash(), out int written))
            {
                bytes += written;
            }
        }

        return bytes;
    }
}
