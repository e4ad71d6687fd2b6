using DashFlow.Api;
using DashFlow.Dataplane.Output;
using DashFlow.Dataplane.Pipeline;
using DashFlow.Model;
using Xunit.Abstractions;

namespace DashFlow.Dataplane.Tests.Pipeline;

/// <summary>The hit path allocates nothing: measured with the thread's allocation counter, not assumed.</summary>
public sealed class PipelineAllocationTests(ITestOutputHelper output)
{
    private const int Iterations = 10_000;

    [Fact]
    public void Process_HitPath_AllocatesNothingPerPacket()
    {
        // Arrange
        var counting = new CountingPacketOutput();
        using var h = Arrange(counting, out var frames);

        // Act: warm up (JIT, tiering, the first packet starts the clock), then measure.
        Run(h, frames);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(h, frames);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Assert
        output.WriteLine($"{allocated} bytes for {Iterations * frames.Length} packets");
        Assert.Equal(0, allocated);
        Assert.Equal(2L * Iterations * frames.Length, counting.Frames);
        Assert.Equal(counting.Frames, h.Pipeline.Counters.Hits);
    }

    [Fact]
    public void ProcessBurst_HitPath_AllocatesNothingPerPacket()
    {
        // Arrange: the frames of the single-packet test, repeated into bursts of 32 in one flat buffer
        var counting = new CountingPacketOutput();
        using var h = Arrange(counting, out var frames);
        var flat = new byte[FlowPipeline.MaxBurst * 2048];
        var offsets = new int[FlowPipeline.MaxBurst];
        var lengths = new int[FlowPipeline.MaxBurst];
        var stamps = new long[FlowPipeline.MaxBurst];
        for (int i = 0, at = 0; i < FlowPipeline.MaxBurst; i++)
        {
            var frame = frames[i % frames.Length];
            frame.CopyTo(flat, at);
            (offsets[i], lengths[i], stamps[i]) = (at, frame.Length, 1_700_000_000_000_000_000);
            at += frame.Length;
        }

        // Act: warm up, then measure
        for (int i = 0; i < Iterations; i++)
        {
            h.Pipeline.ProcessBurst(flat, offsets, lengths, stamps);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Iterations; i++)
        {
            h.Pipeline.ProcessBurst(flat, offsets, lengths, stamps);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Assert
        output.WriteLine($"{allocated} bytes for {Iterations * FlowPipeline.MaxBurst} packets in bursts");
        Assert.Equal(0, allocated);
        Assert.Equal(2L * Iterations * FlowPipeline.MaxBurst, counting.Frames);
        Assert.Equal(counting.Frames, h.Pipeline.Counters.Hits);
    }

    private static PipelineHarness Arrange(CountingPacketOutput counting, out byte[][] frames)
    {
        // A VXLAN hit with ENCAP_U0 | SET_DMAC | SNAT | SNAT_PORT, a plain hit with no action, a plain hit with SET_SMAC.
        var h = new PipelineHarness(vniToVnet: new Dictionary<uint, ushort> { [DashFrames.DirectionVni] = DashFrames.VnetId }, output: counting, ttlMs: 0);
        var tunnelled = new FlowKey(PipelineHarness.DashEniMac, DashFrames.VnetId, 17, IpAddress.Parse("10.1.2.51"), IpAddress.Parse("10.1.2.50"), 1234, 90);
        var plain = new FlowKey(PipelineHarness.DashEniMac, 0, 17, IpAddress.Parse("10.1.1.10"), IpAddress.Parse("10.1.2.50"), 5000, 53);
        var plainTcp = new FlowKey(PipelineHarness.DashEniMac, 0, 6, IpAddress.Parse("10.1.1.10"), IpAddress.Parse("10.1.2.50"), 4000, 80);
        var u0 = new UnderlayEncap(100, IpAddress.Parse("172.16.1.1"), IpAddress.Parse("172.16.1.20"), MacAddress.Parse("00:cc:cc:cc:cc:cc"), MacAddress.Parse("00:dd:dd:dd:dd:dd"), DashEncapsulation.Vxlan);
        var translated = tunnelled.Reversed();
        translated.SetDstIp(IpAddress.Parse("192.0.2.1"));
        translated.DstPort = 40000;
        Create(h, tunnelled, FlowAction.EncapU0 | FlowAction.SetDmac | FlowAction.Snat | FlowAction.SnatPort, translated,
            new FlowRewrite(u0, default, new OverlayRewrite(MacAddress.Parse("00:bb:bb:bb:bb:bb"), IpAddress.Parse("192.0.2.1"), default, IpAddress.Parse("255.255.255.255"), default)));
        Create(h, plain, FlowAction.None, plain.Reversed(), default);
        Create(h, plainTcp, FlowAction.SetSmac, plainTcp.Reversed(), default);
        frames = new[]
        {
            DashFrames.VxlanToVip(DashFrames.InnerUdp()),
            DashFrames.Udp("10.1.1.10", "10.1.2.50", 5000, 53),
            DashFrames.Tcp("10.1.1.10", "10.1.2.50", 4000, 80, TcpControl.Ack | TcpControl.Psh),
        };

        return h;
    }

    private static void Create(PipelineHarness h, FlowKey key, FlowAction actions, FlowKey reverse, FlowRewrite rewrite) =>
        Assert.Equal(SaiStatus.Success, h.Api.CreateFlowEntry(new FlowEntryAddress(h.TableId, key), new FlowState
        {
            Actions = actions,
            Direction = FlowDirection.Outbound,
            IsUnidirectional = true,
            ReverseKey = reverse,
            Rewrite = rewrite,
        }));

    private static void Run(PipelineHarness h, byte[][] frames)
    {
        for (int i = 0; i < Iterations; i++)
        {
            foreach (var frame in frames)
            {
                h.Pipeline.Process(frame, 1_700_000_000_000_000_000);
            }
        }
    }
}
