using DashFlow.Dataplane.Packets;

namespace DashFlow.Dataplane.Tests;

public sealed class ParserPropertyTests
{
    [Fact]
    public void RandomFrames_EveryField_MatchesPacketDotNet()
    {
        for (int seed = 0; seed < 3000; seed++)
        {
            var rng = new Random(seed);
            var frame = TestPackets.BuildRandom(rng, out var spec);
            PacketParser.Parse(frame, out var parsed);
            Oracle.AssertMatches(frame, spec, in parsed, $"seed {seed}");
        }
    }

    [Fact]
    public void RandomTruncations_NeverThrow_DropExactlyWhenHeadersAreCut()
    {
        for (int seed = 0; seed < 1500; seed++)
        {
            var rng = new Random(100_000 + seed);
            var frame = TestPackets.BuildRandom(rng, out var spec);
            for (int i = 0; i < 12; i++)
            {
                int cut = i == 0 ? spec.HeadersEnd - 1 : rng.Next(frame.Length);
                var drop = PacketParser.Parse(frame.AsSpan(0, cut), out var parsed);
                Assert.Equal(drop, parsed.DropReason);
                if (cut < spec.HeadersEnd)
                {
                    Assert.True(drop == DropReason.Truncated, $"seed {seed}: cut at {cut} of {frame.Length} (headers end {spec.HeadersEnd}) gave {drop}");
                }
                else
                {
                    Assert.True(drop == DropReason.None, $"seed {seed}: cut at {cut} of {frame.Length} (headers end {spec.HeadersEnd}) dropped as {drop}");
                    Assert.True(cut == frame.Length || (parsed.Flags & PacketFlags.CaptureTruncated) != 0 || spec.Vni is not null);
                }
            }
        }
    }

    [Fact]
    public void RandomCorruption_NeverThrows_AndOffsetsStayInsideTheFrame()
    {
        int parsed = 0;
        int dropped = 0;
        for (int seed = 0; seed < 4000; seed++)
        {
            var rng = new Random(200_000 + seed);
            var frame = TestPackets.BuildRandom(rng, out _);
            int flips = rng.Next(1, 6);
            for (int i = 0; i < flips; i++)
            {
                // Aim at the headers, where corruption matters.
                frame[rng.Next(Math.Min(frame.Length, 120))] = (byte)rng.Next(256);
            }

            var drop = PacketParser.Parse(frame, out var p);
            if (drop == DropReason.None)
            {
                parsed++;
                Assert.InRange(p.Inner.L3Offset, 0, frame.Length - 1);
                Assert.InRange(p.Inner.L4Offset, -1, frame.Length - 1);
                Assert.InRange(p.Inner.EthernetOffset, 0, frame.Length - 14);
            }
            else
            {
                dropped++;
            }
        }

        Assert.True(parsed > 0 && dropped > 0, $"parsed {parsed}, dropped {dropped}");
    }
}
