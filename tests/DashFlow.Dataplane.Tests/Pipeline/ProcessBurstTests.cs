using DashFlow.Dataplane.Pipeline;
using DashFlow.Dataplane.Tests.NatGateway;
using DashFlow.Dataplane.Traffic;

namespace DashFlow.Dataplane.Tests.Pipeline;

/// <summary>ProcessBurst is Process with a batched lookup: same frames out, same counters, same slow-path effects.</summary>
public sealed class ProcessBurstTests
{
    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    public void ProcessBurst_OnGeneratedNatTrafficWithJunk_EmitsTheFramesAndCountsOfProcess(ulong seed)
    {
        // Arrange: generated SNAT/DNAT traffic run one by one (the generator answers what the gateway emitted), with
        // random junk and truncated frames mixed in; misses, FIN/RST closes, aging ticks and parse drops all occur.
        using var single = new NatFixture();
        using var burst = new NatFixture();
        single.Pipeline.Recorded = [];
        burst.Pipeline.Recorded = [];
        var generator = new TrafficGenerator(NatFixture.DefaultTraffic(seed, maxActive: 512) with { ConnectionsPerSecond = 2_000, PacketsPerSecond = 4_000 });
        var random = new Random((int)seed);
        var buffer = new byte[2048];
        var input = new List<(byte[] Frame, long Ns)>();
        while (input.Count < 30_000)
        {
            Assert.True(generator.TryNext(buffer, out var packet));
            long ns = packet.TimestampUs * 1000;
            var frame = buffer.AsSpan(0, packet.Length).ToArray();
            input.Add((frame, ns));
            int before = single.Pipeline.Recorded.Count;
            single.Pipeline.Pipeline.Process(frame, ns);
            if (packet.Direction == TrafficDirection.Request && single.Pipeline.Recorded.Count > before)
            {
                generator.Observe(packet.ConnectionId, single.Pipeline.Recorded[^1]);
            }

            if (random.Next(50) == 0)
            {
                var junk = random.Next(2) == 0 ? frame[..random.Next(frame.Length)] : RandomBytes(random);
                input.Add((junk, ns));
                single.Pipeline.Pipeline.Process(junk, ns);
            }
        }

        single.Pipeline.Pipeline.RunAgingTick();

        // Act: the same frames in bursts of 1 to 80 (so some span two lookup batches and several milliseconds).
        var flat = new byte[100 * 2048];
        int emitted = 0;
        for (int i = 0; i < input.Count;)
        {
            int n = Math.Min(random.Next(1, 81), input.Count - i);
            var offsets = new int[n];
            var lengths = new int[n];
            var stamps = new long[n];
            for (int j = 0, at = 0; j < n; j++)
            {
                var (frame, ns) = input[i + j];
                frame.CopyTo(flat, at);
                (offsets[j], lengths[j], stamps[j]) = (at, frame.Length, ns);
                at += frame.Length;
            }

            emitted += burst.Pipeline.Pipeline.ProcessBurst(flat, offsets, lengths, stamps);
            i += n;
        }

        burst.Pipeline.Pipeline.RunAgingTick();

        // Assert
        Assert.Equal(single.Pipeline.Recorded.Count, burst.Pipeline.Recorded.Count);
        Assert.Equal(single.Pipeline.Recorded.Count, emitted);
        for (int i = 0; i < single.Pipeline.Recorded.Count; i++)
        {
            Assert.True(single.Pipeline.Recorded[i].AsSpan().SequenceEqual(burst.Pipeline.Recorded[i]), $"emitted frame {i} differs");
        }

        var a = single.Pipeline.Pipeline.Counters;
        var b = burst.Pipeline.Pipeline.Counters;
        Assert.Equal(Figures(a), Figures(b));
        Assert.Equal(a.DropsByReason(), b.DropsByReason());
        Assert.Equal(single.Gateway.Counters, burst.Gateway.Counters);
        Assert.Equal(single.Engine.Count, burst.Engine.Count);
        Assert.True(a.ConnectionsClosed > 0 && a.SlowPathCreated > 1000 && a.ClockTicks > 5 && a.Dropped > 0, Figures(a));
    }

    private static string Figures(PipelineCounters c) =>
        $"packets {c.Packets} parsed {c.Parsed} hits {c.Hits} misses {c.Misses} icmp {c.IcmpErrorHits} created {c.SlowPathCreated} ignored {c.SlowPathIgnored} " +
        $"refused {c.SlowPathRefused} emitted {c.Emitted} closed {c.ConnectionsClosed} teardown {c.FlowsRemovedByTeardown} ticks {c.ClockTicks} dropped {c.Dropped}";

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(1, 200)];
        random.NextBytes(bytes);
        return bytes;
    }
}
