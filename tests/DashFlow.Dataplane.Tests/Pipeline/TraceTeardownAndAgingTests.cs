using DashFlow.Dataplane.Apps.Observe;
using DashFlow.Dataplane.Pipeline;
using PacketDotNet;
using Xunit.Abstractions;

namespace DashFlow.Dataplane.Tests.Pipeline;

/// <summary>
/// D18 on the small TCP traces (learn dash, so a packet after the close misses and is counted) and D6 aging across the idle
/// stretch of the VXLAN trace. Expectations come from PacketDotNet's reading of each trace, never from the pipeline.
/// </summary>
public sealed class TraceTeardownAndAgingTests(ITestOutputHelper output)
{
    public static TheoryData<string, TcpCloseMode> TeardownCases()
    {
        var data = new TheoryData<string, TcpCloseMode>();
        foreach (var name in new[] { "zeek__tcp-syn-then-rst.pcap", "zeek__tcp-fin_retransmission.pcap", "flowtest__http_get.pcap" })
        {
            data.Add(name, TcpCloseMode.Both);
            data.Add(name, TcpCloseMode.FirstFin);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TeardownCases))]
    public void Replay_SingleTcpConnection_RemovedWhenTheCloseModeSaysAndLaterPacketsMiss(string name, TcpCloseMode mode)
    {
        if (Traces.Directory is null)
        {
            output.WriteLine("skipped: no ../shared/traces (SlowPathSanityTests covers the close modes on built packets).");
            return;
        }

        // Arrange: the packet that closes the connection, read with PacketDotNet.
        var path = Path.Combine(Traces.Directory, name);
        var packets = ConversationOracle.Walk(path).Select((_, i) => i).ToList();
        var tcp = TcpPackets(path);
        Assert.True(tcp[0].Flags == 0x02, "the trace starts with a SYN");
        int closing = ClosingIndex(tcp, mode);
        int after = tcp.Count - 1 - closing;
        Assert.DoesNotContain(tcp.Skip(closing + 1), p => (p.Flags & 0x12) == 0x02); // no new SYN after the close

        // Act
        var (pipeline, census) = TraceReplayTests.Replay(path, ObserveLearnMode.Dash, teardown: true, ttlMs: 0, mode);

        // Assert
        output.WriteLine($"{name} {mode}: closes at packet {closing + 1} of {tcp.Count}; {after} after it");
        Assert.Equal(1, pipeline.Counters.ConnectionsClosed);
        Assert.Equal(2, pipeline.Counters.FlowsRemovedByTeardown);
        Assert.Equal(0, census.Entries);
        Assert.Equal(after, pipeline.Counters[PipelineDropReason.TcpNonSynFlowMiss]);
        Assert.Equal(closing + 1, pipeline.Counters.Emitted);
        Assert.Equal(packets.Count, tcp.Count);
    }

    [Theory]
    [InlineData("zeek__tcp-syn-then-rst.pcap")]
    [InlineData("zeek__tcp-fin_retransmission.pcap")]
    [InlineData("flowtest__http_get.pcap")]
    public void Replay_TeardownOff_TheConnectionStays(string name)
    {
        if (Traces.Directory is null)
        {
            output.WriteLine("skipped: no ../shared/traces.");
            return;
        }

        var (pipeline, census) = TraceReplayTests.Replay(Path.Combine(Traces.Directory, name), ObserveLearnMode.Dash, teardown: false, ttlMs: 0);

        Assert.Equal(1, census.Connections);
        Assert.Equal(0, pipeline.Counters.ConnectionsClosed);
        Assert.Equal(pipeline.Counters.Packets, pipeline.Counters.Emitted);
    }

    /// <summary>suricata-verify's VXLAN trace runs 30.8 s with long silences: with a 30 s TTL the conversations idle that
    /// long age (each once per idle stretch, recreated by their next packet); with an hour they never do.</summary>
    [Theory]
    [InlineData(30_000u)]
    [InlineData(20_000u)]
    [InlineData(3_600_000u)]
    public void Replay_VxlanTraceWithIdleStretches_AgesExactlyTheConversationsIdlePastTheTtl(uint ttlMs)
    {
        if (Traces.Directory is null)
        {
            output.WriteLine("skipped: no ../shared/traces (SlowPathSanityTests covers aging on built packets).");
            return;
        }

        // Arrange: idle stretches per conversation from PacketDotNet's reading, on a clock that never goes back.
        var path = Path.Combine(Traces.Directory, "suricata-verify__vxlan-decoder-03.pcap");
        var (expectedAged, expectedLeft) = ExpectedAging(path, ttlMs);
        Assert.True(ttlMs > 100_000 || expectedAged > 0, "the trace has conversations idle past 20 and 30 s");

        // Act
        var (pipeline, census) = TraceReplayTests.Replay(path, ObserveLearnMode.All, teardown: false, ttlMs);

        // Assert
        output.WriteLine($"ttl {ttlMs}: {expectedAged} idle stretches past the TTL; aged {pipeline.Table.Counters.Aged} entries, {census.Connections} connections left");
        Assert.Equal(2L * expectedAged, pipeline.Table.Counters.Aged);
        Assert.Equal(expectedLeft, census.Connections);
    }

    /// <summary>Every trace, TTL 30 s (1kxun jumps 5.8 years: everything before the jump ages there).</summary>
    [Theory]
    [MemberData(nameof(Traces.Names), MemberType = typeof(Traces))]
    public void Replay_AnyTrace_Ttl30s_AgesExactlyTheIdleStretches(string name)
    {
        if (Traces.Directory is null)
        {
            output.WriteLine("skipped: no ../shared/traces.");
            return;
        }

        var path = Path.Combine(Traces.Directory, name);
        var (expectedAged, expectedLeft) = ExpectedAging(path, 30_000);

        var (pipeline, census) = TraceReplayTests.Replay(path, ObserveLearnMode.All, teardown: false, ttlMs: 30_000);

        output.WriteLine($"{name}: {expectedAged} idle stretches past 30 s; aged {pipeline.Table.Counters.Aged} entries");
        Assert.Equal(2L * expectedAged, pipeline.Table.Counters.Aged);
        Assert.Equal(expectedLeft, census.Connections);
    }

    /// <summary>
    /// A model of D6 with the pipeline's documented clock (<see cref="PipelineOptions.AgingTickMs"/>): packet time never goes
    /// back; a tick runs at the first packet at least 1 s after the previous tick (and once at the end), and ages every
    /// conversation idle for at least the TTL then; the conversation's next packet learns it again. Over PacketDotNet's reading.
    /// </summary>
    private static (int Aged, int Left) ExpectedAging(string path, uint ttlMs)
    {
        var last = new Dictionary<Conversation, long>();
        long now = long.MinValue;
        long nextTick = long.MaxValue;
        int aged = 0;
        foreach (var (ms, conversation) in ConversationOracle.Walk(path))
        {
            if (nextTick == long.MaxValue)
            {
                nextTick = ms + 1000;
            }

            now = Math.Max(now, ms);
            if (now >= nextTick)
            {
                aged += Tick(last, now, ttlMs);
                nextTick = now + 1000;
            }

            if (conversation is { } c)
            {
                last[c] = now;
            }
        }

        aged += Tick(last, now, ttlMs); // the replay's last tick
        return (aged, last.Count);
    }

    private static int Tick(Dictionary<Conversation, long> last, long now, uint ttlMs)
    {
        var idle = last.Where(l => now - l.Value >= ttlMs).Select(l => l.Key).ToList();
        foreach (var c in idle)
        {
            last.Remove(c);
        }

        return idle.Count;
    }

    private readonly record struct TcpSegment(string Source, ushort Flags);

    private static List<TcpSegment> TcpPackets(string path)
    {
        var list = new List<TcpSegment>();
        using var reader = Capture.CaptureReader.Open(path);
        while (reader.TryRead(out var record))
        {
            var packet = Packet.ParsePacket(LinkLayers.Ethernet, record.Data.ToArray());
            var ip = packet.Extract<IPPacket>();
            var segment = packet.Extract<TcpPacket>();
            list.Add(new TcpSegment($"{ip.SourceAddress}:{segment.SourcePort}", segment.Flags));
        }

        return list;
    }

    /// <summary>The index of the packet that removes the connection: the first RST or FIN (first-fin), or the first RST or
    /// the FIN that completes both directions (both).</summary>
    private static int ClosingIndex(List<TcpSegment> packets, TcpCloseMode mode)
    {
        var finished = new HashSet<string>();
        for (int i = 0; i < packets.Count; i++)
        {
            bool rst = (packets[i].Flags & 0x04) != 0;
            bool fin = (packets[i].Flags & 0x01) != 0;
            if (rst || (fin && mode == TcpCloseMode.FirstFin))
            {
                return i;
            }

            if (fin && finished.Add(packets[i].Source) && finished.Count == 2)
            {
                return i;
            }
        }

        return packets.Count;
    }
}
