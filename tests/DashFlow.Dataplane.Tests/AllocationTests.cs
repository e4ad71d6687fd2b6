using DashFlow.Dataplane.Capture;
using DashFlow.Dataplane.Packets;
using DashFlow.Model;
using Xunit.Abstractions;

namespace DashFlow.Dataplane.Tests;

public sealed class AllocationTests(ITestOutputHelper output)
{
    private const int Iterations = 10_000;

    [Fact]
    public void Parse_TenThousandTimes_AllocatesNothing()
    {
        var rng = new Random(42);
        var inner = TestPackets.BuildInner(rng, out _, v6Choice: true, protocolChoice: 6);
        var frame = TestPackets.WrapVxlan(rng, TestPackets.AddVlans(inner, [5]), 1111, outerV6: false, out _);
        var icmpError = RawFrames.Ethernet(EtherTypes.Ipv4, RawFrames.Ipv4(IpProtocols.Icmp,
            RawFrames.Icmp(3, 3, 0, RawFrames.Ipv4(IpProtocols.Udp, RawFrames.Udp(1, 2)))));

        long checksum = Run(frame, icmpError); // warm up: JIT and tiering
        long before = GC.GetAllocatedBytesForCurrentThread();
        checksum += Run(frame, icmpError);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{allocated} bytes for {2 * Iterations} parses (checksum {checksum})");
        Assert.Equal(0, allocated);

        static long Run(byte[] frame, byte[] icmpError)
        {
            long sum = 0;
            for (int i = 0; i < Iterations; i++)
            {
                PacketParser.Parse(frame, out var p);
                sum += p.SrcPort + p.TunnelId;
                PacketParser.Parse(icmpError, out var e);
                sum += e.Quoted.DstPort;
            }

            return sum;
        }
    }

    [Fact]
    public void RewriteAndEncapsulate_TenThousandTimes_AllocatesNothing()
    {
        var frame = TestPackets.BuildInner(new Random(43), out _, v6Choice: false, protocolChoice: 17);
        var work = new byte[frame.Length];
        var output2 = new byte[frame.Length + 200];
        var u0 = new UnderlayEncap(100, IpAddress.Parse("172.16.1.1"), IpAddress.Parse("172.16.1.20"),
            MacAddress.Parse("00:cc:cc:cc:cc:cc"), MacAddress.Parse("00:dd:dd:dd:dd:dd"), DashEncapsulation.Vxlan);
        var u1 = u0 with { Sip = IpAddress.Parse("2001:db8::1"), Dip = IpAddress.Parse("2001:db8::2"), Encapsulation = DashEncapsulation.Nvgre };
        var snat = IpAddress.Parse("192.0.2.1");
        var mask = IpAddress.Parse("255.255.255.255");

        long sum = Run(); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        sum += Run();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{allocated} bytes for {Iterations} rewrite+encap rounds (checksum {sum})");
        Assert.Equal(0, allocated);

        long Run()
        {
            long total = 0;
            for (int i = 0; i < Iterations; i++)
            {
                frame.CopyTo(work, 0);
                PacketParser.Parse(work, out var p);
                PacketRewriter.TryRewriteSourceIp(work, ref p, snat, mask);
                PacketRewriter.TryRewriteSourcePort(work, ref p, (ushort)i);
                PacketRewriter.TrySetInnerDestinationMac(work, ref p, u0.Dmac);
                Encapsulation.TryEncapsulate(work, output2, in u0, in u1, p.FlowHash(), out int written);
                total += written;
            }

            return total;
        }
    }

    [Fact]
    public void ReadingACapture_AllocatesNothingPerFrame()
    {
        using var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, leaveOpen: true))
        {
            var rng = new Random(44);
            for (int i = 0; i < Iterations; i++)
            {
                writer.Write(i * 1000L, TestPackets.BuildInner(rng, out _));
            }
        }

        stream.Position = 0;
        using var reader = CaptureReader.Open(stream, leaveOpen: true);
        reader.TryRead(out _); // the first read sizes the buffer
        long before = GC.GetAllocatedBytesForCurrentThread();
        long sum = 0;
        while (reader.TryRead(out var record))
        {
            PacketParser.Parse(record.Data, out var p);
            sum += p.DstPort;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{allocated} bytes for {reader.FrameCount - 1} frames read and parsed (checksum {sum})");
        Assert.Equal(Iterations, reader.FrameCount);
        Assert.Equal(0, allocated);
    }
}
