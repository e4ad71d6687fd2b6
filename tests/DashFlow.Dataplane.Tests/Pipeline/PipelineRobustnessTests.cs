using DashFlow.Dataplane.Apps.Observe;
using DashFlow.Dataplane.Output;

namespace DashFlow.Dataplane.Tests.Pipeline;

/// <summary>Malformed, truncated and random frames are counted and dropped, never thrown; every frame is emitted or dropped.</summary>
public sealed class PipelineRobustnessTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Process_RandomAndMangledFrames_NeverThrowsAndAccountsForEveryFrame(int seed)
    {
        var rng = new Random(seed);
        var output = new CountingPacketOutput();
        using var h = new PipelineHarness((api, table) => new ObserveApp(api, table, ObserveLearnMode.All), ttlMs: 2_000, maxFlows: 4096, output: output);
        int frames = 0;
        for (int i = 0; i < 4000; i++)
        {
            byte[] frame = (i % 4) switch
            {
                0 => TestPackets.RandomBytes(rng, 200),                                           // noise
                1 => Truncate(rng, TestPackets.BuildRandom(rng, out _)),                         // cut anywhere
                2 => Flip(rng, TestPackets.BuildRandom(rng, out _)),                             // corrupt a few bytes
                _ => TestPackets.BuildRandom(rng, out _),                                         // valid
            };
            h.Send(frame, ms: i * 7L);
            frames++;
        }

        var c = h.Pipeline.Counters;
        Assert.Equal(frames, c.Packets);
        Assert.Equal(c.Packets, c.Emitted + c.Dropped);
        Assert.Equal(output.Frames, c.Emitted);
        Assert.True(c.Dropped > 0);
        Assert.True(c.Emitted > 0);
        Assert.True(c.ClockTicks > 0);
    }

    [Fact]
    public void Process_EmptyAndTinyFrames_CountedAsTruncated()
    {
        using var h = new PipelineHarness();
        for (int n = 0; n < 14; n++)
        {
            Assert.False(h.Send(new byte[n]));
        }

        Assert.Equal(14, h.Pipeline.Counters[Packets.DropReason.Truncated]);
        Assert.Equal(14, h.Pipeline.Counters.DropsByReason()["truncated"]);
    }

    private static byte[] Truncate(Random rng, byte[] frame) => frame[..rng.Next(frame.Length)];

    private static byte[] Flip(Random rng, byte[] frame)
    {
        for (int i = rng.Next(1, 4); i > 0; i--)
        {
            frame[rng.Next(frame.Length)] ^= (byte)rng.Next(1, 256);
        }

        return frame;
    }
}
