using DashFlow.Api;
using DashFlow.Dataplane.Packets;
using DashFlow.Dataplane.Pipeline;
using DashFlow.Model;

namespace DashFlow.Dataplane.Tests.Pipeline;

/// <summary>A test slow path that sends every new flow out SNATed (address and port) and VXLAN-encapsulated with a new
/// inner destination MAC: the most rewriting a frame can get, for validating what the pipeline writes.</summary>
internal sealed class EncapSnatApp(FlowApi api) : ISlowPath
{
    public static readonly IpAddress SnatAddress = IpAddress.Parse("192.0.2.1");
    public static readonly UnderlayEncap Underlay0 = new(4242, IpAddress.Parse("172.16.1.1"), IpAddress.Parse("172.16.1.20"),
        MacAddress.Parse("00:cc:cc:cc:cc:cc"), MacAddress.Parse("00:dd:dd:dd:dd:dd"), DashEncapsulation.Vxlan);

    private ushort _nextPort = 40000;

    public string Name => "encap-snat";

    public bool LearnsAnyPacket => true;

    public bool LearnsOtherIcmp => true;

    public SlowPathVerdict OnMiss(in SlowPathRequest request)
    {
        ref readonly var p = ref request.Packet;
        var actions = FlowAction.EncapU0 | FlowAction.SetDmac;
        var translated = request.Key.Reversed();
        if (!p.IsIpv6)
        {
            actions |= FlowAction.Snat;
            translated.SetDstIp(SnatAddress);
        }

        if (p.IpProtocol is IpProtocols.Tcp or IpProtocols.Udp || p.IsIcmpEcho)
        {
            actions |= FlowAction.SnatPort;
            translated.DstPort = _nextPort++;
        }

        var status = api.CreateFlowEntry(new FlowEntryAddress(request.Table, request.Key), new FlowState
        {
            Actions = actions,
            Direction = FlowDirection.Outbound,
            IsUnidirectional = true,
            ReverseKey = translated,
            Rewrite = new FlowRewrite(Underlay0, default, new OverlayRewrite(MacAddress.Parse("00:bb:bb:bb:bb:bb"), SnatAddress, default, default, default)),
        });
        return status == SaiStatus.Success ? SlowPathVerdict.Created : SlowPathVerdict.Refused;
    }

    public void OnConnectionClosed(FlowTableId table, in FlowKey key, ConnectionCloseReason reason) => api.RemoveFlowEntry(new FlowEntryAddress(table, key));

    public void OnClock(long nowMs)
    {
    }
}
