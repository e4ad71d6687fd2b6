using DashFlow.Api;
using DashFlow.Dataplane.Packets;
using DashFlow.Dataplane.Pipeline;
using DashFlow.Model;

namespace DashFlow.Dataplane.Tests.Pipeline;

/// <summary>§4.2 on a miss: what reaches the slow path and what is dropped (and counted) instead; ICMP errors find their flow.</summary>
public sealed class PipelineMissRulesTests
{
    private static byte[] Ipv4Frame(byte protocol, byte[] l4, ushort fragmentOffset = 0, bool more = false) =>
        RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(protocol, l4, fragmentOffset: fragmentOffset, moreFragments: more));

    [Fact]
    public void Miss_DashRules_OnlySynUdpAndEchoRequestReachTheSlowPath()
    {
        var slowPath = new RecordingSlowPath();
        using var h = new PipelineHarness((_, _) => slowPath);

        h.Send(Ipv4Frame(IpProtocols.Tcp, RawFrames.Tcp(1000, 80, TcpFlags.Syn)));
        h.Send(Ipv4Frame(IpProtocols.Tcp, RawFrames.Tcp(1000, 80, TcpFlags.Ack)));
        h.Send(Ipv4Frame(IpProtocols.Tcp, RawFrames.Tcp(1000, 80, TcpFlags.Syn | TcpFlags.Ack)));
        h.Send(Ipv4Frame(IpProtocols.Udp, RawFrames.Udp(1000, 53)));
        h.Send(Ipv4Frame(IpProtocols.Icmp, RawFrames.Icmp(8, 0, 77)));  // echo request
        h.Send(Ipv4Frame(IpProtocols.Icmp, RawFrames.Icmp(0, 0, 77)));  // echo reply
        h.Send(Ipv4Frame(IpProtocols.Icmp, RawFrames.Icmp(13, 0, 0)));  // timestamp: other ICMP, not learnt by this app
        h.Send(Ipv4Frame(IpProtocols.Udp, [], fragmentOffset: 100));   // non-first fragment

        Assert.Equal(3, slowPath.Misses.Count);
        var c = h.Pipeline.Counters;
        Assert.Equal(2, c[PipelineDropReason.TcpNonSynFlowMiss]);
        Assert.Equal(2, c[PipelineDropReason.NotLearnable]);
        Assert.Equal(1, c[PipelineDropReason.NonFirstFragmentMiss]);
        Assert.Equal(3, c[PipelineDropReason.SlowPathIgnored]);
        Assert.Equal(8, c.Dropped);
    }

    [Fact]
    public void Miss_LearnsAnyPacketAndOtherIcmp_EverythingButFragmentsReachesTheSlowPath()
    {
        var slowPath = new RecordingSlowPath { LearnsAnyPacket = true, LearnsOtherIcmp = true };
        using var h = new PipelineHarness((_, _) => slowPath);

        h.Send(Ipv4Frame(IpProtocols.Tcp, RawFrames.Tcp(1000, 80, TcpFlags.Ack)));
        h.Send(Ipv4Frame(IpProtocols.Icmp, RawFrames.Icmp(13, 0, 0)));
        h.Send(Ipv4Frame(IpProtocols.Udp, [], fragmentOffset: 100));

        Assert.Equal(2, slowPath.Misses.Count);
        Assert.Equal(13, slowPath.Misses[1].SrcPort); // D16: type and code as ports
        Assert.Equal(1, h.Pipeline.Counters[PipelineDropReason.NonFirstFragmentMiss]);
    }

    [Fact]
    public void IcmpError_QuotingAKnownFlow_IsForwardedOnThatFlowAndCreatesNothing()
    {
        var slowPath = new RecordingSlowPath();
        using var h = new PipelineHarness((_, _) => slowPath);
        // The flow 10.0.0.1:1000 → 10.0.0.2:53; the router at 10.0.0.2 answers port unreachable, quoting the UDP packet.
        var flow = new FlowKey(PipelineHarness.DashEniMac, 0, IpProtocols.Udp, IpAddress.Parse("10.0.0.1"), IpAddress.Parse("10.0.0.2"), 1000, 53);
        Assert.Equal(SaiStatus.Success, h.Api.CreateFlowEntry(new FlowEntryAddress(h.TableId, flow.Reversed()), new FlowState { IsUnidirectional = true }));
        var quote = RawFrames.Ipv4(IpProtocols.Udp, RawFrames.Udp(1000, 53));
        var error = RawFrames.Ipv4(IpProtocols.Icmp, RawFrames.Icmp(3, 3, 0, quote), src: 0x0A000002, dst: 0x0A000001);
        var unknown = RawFrames.Ipv4(IpProtocols.Icmp, RawFrames.Icmp(3, 3, 0, RawFrames.Ipv4(IpProtocols.Udp, RawFrames.Udp(9, 9))), src: 0x0A000002, dst: 0x0A000001);

        Assert.True(h.Send(RawFrames.Ethernet(EtherTypes.Ipv4, error)));
        Assert.False(h.Send(RawFrames.Ethernet(EtherTypes.Ipv4, unknown)));

        Assert.Empty(slowPath.Misses);
        Assert.Equal(1, h.Pipeline.Counters.IcmpErrorHits);
        Assert.Equal(1, h.Pipeline.Counters[PipelineDropReason.IcmpErrorNoFlow]);
        Assert.Equal(1, h.Table.Count);
    }

    [Fact]
    public void Hit_UnusableUnderlay_DroppedAsActionFailed()
    {
        using var h = new PipelineHarness();
        var key = new FlowKey(PipelineHarness.DashEniMac, 0, IpProtocols.Udp, IpAddress.Parse("10.0.0.1"), IpAddress.Parse("10.0.0.2"), 1000, 53);
        Assert.Equal(SaiStatus.Success, h.Api.CreateFlowEntry(new FlowEntryAddress(h.TableId, key), new FlowState { IsUnidirectional = true, Actions = FlowAction.EncapU1 }));

        Assert.False(h.Send(Ipv4Frame(IpProtocols.Udp, RawFrames.Udp(1000, 53))));

        Assert.Equal(1, h.Pipeline.Counters[PipelineDropReason.ActionFailed]);
    }
}
