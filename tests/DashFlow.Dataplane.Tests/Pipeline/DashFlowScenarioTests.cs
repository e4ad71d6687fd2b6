using System.Buffers.Binary;
using DashFlow.Api;
using DashFlow.Model;
using PacketDotNet;

namespace DashFlow.Dataplane.Tests.Pipeline;

/// <summary>
/// DASH's saidashflow.py (spec §5.2) on the pipeline: a VXLAN packet (VNI 60) to the VIP carrying UDP 10.1.2.51:1234 →
/// 10.1.2.50:90, a table bound to the ENI 00:00:02:03:04:05 with VNI 60 resolving to VNET 100, and what leaves port 0,
/// checked with PacketDotNet.
/// </summary>
public sealed class DashFlowScenarioTests
{
    private static readonly Dictionary<uint, ushort> s_vnets = new() { [DashFrames.DirectionVni] = DashFrames.VnetId };
    private static readonly MacAddress s_dstMac = MacAddress.Parse("00:bb:bb:bb:bb:bb");
    private static readonly FlowKey s_key = new(PipelineHarness.DashEniMac, DashFrames.VnetId, 17, IpAddress.Parse("10.1.2.51"), IpAddress.Parse("10.1.2.50"), 1234, 90);

    private static FlowState Entry(FlowAction actions) => new()
    {
        Version = 4,
        Direction = FlowDirection.Outbound,
        Actions = actions,
        IsUnidirectional = true,
        ReverseKey = s_key.Reversed(),
        SyncState = FlowSyncState.FlowSynced,
        Rewrite = new FlowRewrite(
            new UnderlayEncap(100, IpAddress.Parse("172.16.1.1"), IpAddress.Parse("172.16.1.20"), MacAddress.Parse("00:cc:cc:cc:cc:cc"), MacAddress.Parse("00:dd:dd:dd:dd:dd"), DashEncapsulation.Vxlan),
            new UnderlayEncap(0, default, default, default, default, DashEncapsulation.Invalid),
            new OverlayRewrite(s_dstMac, default, default, default, default)),
    };

    private static (PipelineHarness Harness, byte[] Inner) Run(FlowAction? actions)
    {
        var harness = new PipelineHarness(vniToVnet: s_vnets);
        if (actions is { } a)
        {
            Assert.Equal(SaiStatus.Success, harness.Api.CreateFlowEntry(new FlowEntryAddress(harness.TableId, s_key), Entry(a)));
        }

        var inner = DashFrames.InnerUdp();
        harness.Send(DashFrames.VxlanToVip(inner));
        if (actions is not null)
        {
            Assert.Equal(SaiStatus.Success, harness.Api.RemoveFlowEntry(new FlowEntryAddress(harness.TableId, s_key)));
        }

        Assert.Equal(SaiStatus.Success, harness.Api.RemoveFlowTable(harness.TableId));
        return (harness, inner);
    }

    [Fact]
    public void FlowHitActionNone_EmitsTheBareInnerFrameUnchanged()
    {
        var (harness, inner) = Run(FlowAction.None);
        using (harness)
        {
            var frame = Assert.Single(harness.Emitted);
            Assert.Equal(inner, frame);
            var ip = TestPackets.Parse(frame).Extract<IPv4Packet>();
            Assert.Equal("10.1.2.51", ip.SourceAddress.ToString());
            Assert.Equal(1234, ip.Extract<UdpPacket>().SourcePort);
        }
    }

    [Fact]
    public void FlowMissActionNone_EmitsNothingAndReachesTheSlowPath()
    {
        var (harness, _) = Run(null);
        using (harness)
        {
            Assert.Empty(harness.Emitted);
            var miss = Assert.Single(((RecordingSlowPath)harness.SlowPath).Misses);
            Assert.Equal(s_key, miss);
            Assert.Equal(1, harness.Pipeline.Counters.Misses);
        }
    }

    [Fact]
    public void FlowHitActionEncapU0_EmitsVxlanVni100AroundTheUnchangedInnerFrame()
    {
        var (harness, inner) = Run(FlowAction.EncapU0);
        using (harness)
        {
            AssertEncapU0(Assert.Single(harness.Emitted), inner);
        }
    }

    [Fact]
    public void FlowHitActionSetDmac_RewritesTheInnerDestinationMacOnly()
    {
        var (harness, inner) = Run(FlowAction.SetDmac);
        using (harness)
        {
            var frame = Assert.Single(harness.Emitted);
            AssertDmacRewritten(frame, inner);
        }
    }

    [Fact]
    public void FlowHitActionEncapU0SetDmac_DoesBoth()
    {
        var (harness, inner) = Run(FlowAction.EncapU0 | FlowAction.SetDmac);
        using (harness)
        {
            var carried = AssertEncapU0(Assert.Single(harness.Emitted), expectedInner: null);
            AssertDmacRewritten(carried, inner);
        }
    }

    /// <summary>Outer Ethernet 00:cc → 00:dd, IPv4 172.16.1.1 → 172.16.1.20 with a valid checksum, UDP to 4789, VXLAN I flag
    /// and VNI 100. BMv2 sends UDP source port 0; DashFlow puts flow entropy there (RFC 7348), so only the range is checked.</summary>
    private static byte[] AssertEncapU0(byte[] frame, byte[]? expectedInner)
    {
        var eth = (EthernetPacket)TestPackets.Parse(frame);
        Assert.Equal("00CCCCCCCCCC", eth.SourceHardwareAddress.ToString());
        Assert.Equal("00DDDDDDDDDD", eth.DestinationHardwareAddress.ToString());
        var ip = eth.Extract<IPv4Packet>();
        Assert.Equal("172.16.1.1", ip.SourceAddress.ToString());
        Assert.Equal("172.16.1.20", ip.DestinationAddress.ToString());
        Assert.True(ip.ValidIPChecksum);
        Assert.Equal(frame.Length - 14, ip.TotalLength);
        var udp = ip.Extract<UdpPacket>();
        Assert.Equal(4789, udp.DestinationPort);
        Assert.InRange(udp.SourcePort, 49152, 65535);
        Assert.Equal(udp.Length, frame.Length - 34);
        Assert.Equal(5, ip.HeaderLength); // 32-bit words: no options
        var vxlan = frame[(14 + 20 + 8)..]; // PacketDotNet decodes the VXLAN payload itself: read the bytes
        Assert.Equal(0x08, vxlan[0]);
        Assert.Equal(100u, BinaryPrimitives.ReadUInt32BigEndian(vxlan.AsSpan(4)) >> 8);
        var carried = vxlan[8..];
        if (expectedInner is not null)
        {
            Assert.Equal(expectedInner, carried);
        }

        return carried;
    }

    private static void AssertDmacRewritten(byte[] frame, byte[] inner)
    {
        var eth = (EthernetPacket)TestPackets.Parse(frame);
        Assert.Equal("00BBBBBBBBBB", eth.DestinationHardwareAddress.ToString());
        Assert.Equal(inner.Length, frame.Length);
        Assert.Equal(inner[6..], frame[6..]); // everything after the destination MAC is unchanged
        Assert.True(eth.Extract<IPv4Packet>().ValidIPChecksum);
    }
}
