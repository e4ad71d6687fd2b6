using DashFlow.Api;
using DashFlow.Model;
using PacketDotNet;

namespace DashFlow.Dataplane.Tests.Pipeline;

/// <summary>The actions saidashflow.py does not cover (spec §5.2): SET_SMAC, SNAT, DNAT, the PORT variants and U1 outside U0,
/// checked with PacketDotNet on a plain (not tunnelled) UDP packet 10.1.1.10:5000 → 10.1.2.50:53.</summary>
public sealed class PipelineActionTests
{
    private static readonly FlowKey s_key = new(PipelineHarness.DashEniMac, 0, 17, IpAddress.Parse("10.1.1.10"), IpAddress.Parse("10.1.2.50"), 5000, 53);
    private static readonly UnderlayEncap s_u0 = new(100, IpAddress.Parse("172.16.1.1"), IpAddress.Parse("172.16.1.20"), MacAddress.Parse("00:cc:cc:cc:cc:cc"), MacAddress.Parse("00:dd:dd:dd:dd:dd"), DashEncapsulation.Vxlan);
    private static readonly UnderlayEncap s_u1 = new(200, IpAddress.Parse("200.0.1.2"), IpAddress.Parse("200.3.4.5"), MacAddress.Parse("00:11:11:11:11:11"), MacAddress.Parse("00:22:22:22:22:22"), DashEncapsulation.Vxlan);

    private static byte[] Run(FlowAction actions, FlowKey reverse, OverlayRewrite overlay = default)
    {
        using var h = new PipelineHarness();
        Assert.Equal(SaiStatus.Success, h.Api.CreateFlowEntry(new FlowEntryAddress(h.TableId, s_key), new FlowState
        {
            Actions = actions,
            IsUnidirectional = true,
            ReverseKey = reverse,
            Rewrite = new FlowRewrite(s_u0, s_u1, overlay),
        }));
        Assert.True(h.Send(DashFrames.Udp("10.1.1.10", "10.1.2.50", 5000, 53)));
        return Assert.Single(h.Emitted);
    }

    [Fact]
    public void SnatWithSnatPort_SourceBecomesTheReverseKeysDestination()
    {
        var reverse = new FlowKey(PipelineHarness.DashEniMac, 0, 17, IpAddress.Parse("10.1.2.50"), IpAddress.Parse("192.0.2.7"), 53, 61000);

        var frame = Run(FlowAction.Snat | FlowAction.SnatPort, reverse, new OverlayRewrite(default, IpAddress.Parse("192.0.2.7"), default, IpAddress.Parse("255.255.255.255"), default));

        var ip = TestPackets.Parse(frame).Extract<IPv4Packet>();
        var udp = ip.Extract<UdpPacket>();
        Assert.Equal("192.0.2.7", ip.SourceAddress.ToString());
        Assert.Equal(61000, udp.SourcePort);
        Assert.Equal("10.1.2.50", ip.DestinationAddress.ToString());
        Assert.Equal(53, udp.DestinationPort);
        Assert.True(ip.ValidIPChecksum);
        Assert.True(udp.ValidUdpChecksum);
    }

    [Fact]
    public void DnatWithMaskAndDnatPort_DestinationBecomesTheReverseKeysSource()
    {
        var reverse = new FlowKey(PipelineHarness.DashEniMac, 0, 17, IpAddress.Parse("10.9.2.50"), IpAddress.Parse("10.1.1.10"), 8053, 5000);

        var frame = Run(FlowAction.Dnat | FlowAction.DnatPort, reverse, new OverlayRewrite(default, default, IpAddress.Parse("10.9.0.0"), default, IpAddress.Parse("255.255.0.0")));

        var ip = TestPackets.Parse(frame).Extract<IPv4Packet>();
        var udp = ip.Extract<UdpPacket>();
        Assert.Equal("10.9.2.50", ip.DestinationAddress.ToString()); // only the masked /16 changed
        Assert.Equal(8053, udp.DestinationPort);
        Assert.True(ip.ValidIPChecksum);
        Assert.True(udp.ValidUdpChecksum);
    }

    [Fact]
    public void SetSmac_WritesTheEniMac()
    {
        var frame = Run(FlowAction.SetSmac, s_key.Reversed());

        Assert.Equal("000002030405", ((EthernetPacket)TestPackets.Parse(frame)).SourceHardwareAddress.ToString());
    }

    [Fact]
    public void EncapU0AndU1_U1OutsideU0()
    {
        var original = DashFrames.Udp("10.1.1.10", "10.1.2.50", 5000, 53);

        var frame = Run(FlowAction.EncapU0 | FlowAction.EncapU1, s_key.Reversed());

        var outer = TestPackets.Parse(frame).Extract<IPv4Packet>();
        Assert.Equal("200.0.1.2", outer.SourceAddress.ToString());
        Assert.Equal("200.3.4.5", outer.DestinationAddress.ToString());
        var middle = TestPackets.ParseSegment(frame, 50).Extract<IPv4Packet>();
        Assert.Equal("172.16.1.1", middle.SourceAddress.ToString());
        Assert.Equal("172.16.1.20", middle.DestinationAddress.ToString());
        Assert.True(outer.ValidIPChecksum && middle.ValidIPChecksum);
        Assert.Equal(original, frame[100..]);
    }
}
