using DashFlow.Api;
using DashFlow.Dataplane.Packets;
using DashFlow.Dataplane.Pipeline;
using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Dataplane.Tests.NatGateway;

/// <summary>What the stand-in pipeline did with a frame.</summary>
internal enum StandInOutcome
{
    Forwarded,
    Malformed,
    MissDropped, // a miss DASH does not let create a flow (e.g. a TCP ACK)
    Ignored,
    Refused,
}

/// <summary>
/// A stand-in for the real pipeline (branch dp), only for these tests: parse → key → lookup → on a miss the slow path's
/// OnMiss → look up again → apply the hit's actions to the innermost packet and emit it decapsulated (re-encapsulated only
/// by ENCAP_U0) → TCP close tracking (RST at once, FIN on both sides) → OnConnectionClosed. Replace it with the pipeline.
/// </summary>
/// <remarks>The VNET id is the VXLAN VNI for tunnelled frames and <c>outsideVnetId</c> for plain ones.</remarks>
internal sealed class StandInPipeline(FlowApi api, FlowTableId tableId, ISlowPath app, MacAddress eniMac, ushort outsideVnetId)
{
    private readonly FlowTable _table = api.TryGetTable(tableId, out var t) ? t : throw new ArgumentException("no table");
    private readonly HashSet<FlowKey> _finSent = [];

    public long Forwarded { get; private set; }

    public StandInOutcome Process(ReadOnlySpan<byte> frame, long nowMs, out byte[] emitted)
    {
        emitted = [];
        if (PacketParser.Parse(frame, out var packet) != DropReason.None)
        {
            return StandInOutcome.Malformed;
        }

        ushort vnet = packet.TunnelDepth > 0 ? (ushort)packet.TunnelId : outsideVnetId;
        var key = packet.ToFlowKey(eniMac, vnet);
        if (!_table.TryLookup(in key, out _))
        {
            bool mayCreate = packet.IsTcpSyn || packet.IpProtocol == IpProtocols.Udp || packet.IsIcmpEchoRequest;
            if (!mayCreate)
            {
                return StandInOutcome.MissDropped;
            }

            var verdict = app.OnMiss(new SlowPathRequest(tableId, in key, ref packet, nowMs));
            if (verdict != SlowPathVerdict.Created)
            {
                return verdict == SlowPathVerdict.Refused ? StandInOutcome.Refused : StandInOutcome.Ignored;
            }
        }

        Assert.Equal(SaiStatus.Success, _table.Get(in key, out var state, out _));
        var output = frame.ToArray();
        var overlay = state.Rewrite.Overlay;
        var actions = state.Actions;
        if ((actions & FlowAction.Snat) != 0)
        {
            Assert.True(PacketRewriter.TryRewriteSourceIp(output, ref packet, overlay.Sip, overlay.SipMask));
        }

        if ((actions & FlowAction.SnatPort) != 0)
        {
            Assert.True(PacketRewriter.TryRewriteSourcePort(output, ref packet, state.ReverseKey.DstPort)); // binding rule of ISlowPath
        }

        if ((actions & FlowAction.Dnat) != 0)
        {
            Assert.True(PacketRewriter.TryRewriteDestinationIp(output, ref packet, overlay.Dip, overlay.DipMask));
        }

        if ((actions & FlowAction.DnatPort) != 0)
        {
            Assert.True(PacketRewriter.TryRewriteDestinationPort(output, ref packet, state.ReverseKey.SrcPort));
        }

        var inner = output.AsSpan(packet.InnerFrameOffset);
        if ((actions & FlowAction.EncapU0) != 0)
        {
            var encapsulated = new byte[inner.Length + 128];
            Assert.True(Encapsulation.TryEncapsulate(inner, encapsulated, state.Rewrite.Underlay0, packet.FlowHash(), out int written));
            emitted = encapsulated[..written];
        }
        else
        {
            emitted = inner.ToArray();
        }

        Forwarded++;
        TrackClose(in packet, in key, in state);
        return StandInOutcome.Forwarded;
    }

    private void TrackClose(in ParsedPacket packet, in FlowKey key, in FlowState state)
    {
        if (packet.IpProtocol != IpProtocols.Tcp)
        {
            return;
        }

        if ((packet.TcpFlags & TcpFlags.Rst) != 0)
        {
            app.OnConnectionClosed(tableId, in key, ConnectionCloseReason.TcpRst);
        }
        else if ((packet.TcpFlags & TcpFlags.Fin) != 0)
        {
            _finSent.Add(key);
            if (_finSent.Remove(state.ReverseKey))
            {
                _finSent.Remove(key);
                app.OnConnectionClosed(tableId, in key, ConnectionCloseReason.TcpFin);
            }
        }
    }
}
