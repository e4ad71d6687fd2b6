using System.Diagnostics;
using DashFlow.Dataplane.Apps.Observe;
using DashFlow.Dataplane.Capture;
using DashFlow.Dataplane.Output;
using DashFlow.Dataplane.Pipeline;
using Xunit.Abstractions;

namespace DashFlow.Dataplane.Tests.Pipeline;

/// <summary>
/// The shared traces replayed in observe mode (learn all, teardown off, TTL 0): the connections left in the table are the
/// capture's conversations, counted independently with PacketDotNet (<see cref="ConversationOracle"/>) and, when tshark is
/// installed, TCP and UDP counted again by tshark. Without ../shared/traces the same checks run on generated traffic.
/// </summary>
/// <remarks>
/// One documented difference: the pipeline keys tunnelled packets by VNET = VNI &amp; 0xFFFF (spec §4.1), the oracle by the
/// VNI; the test checks the traces' VNIs stay distinct under that mask, so the two counts must agree.
/// </remarks>
public sealed class TraceReplayTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(Traces.Names), MemberType = typeof(Traces))]
    public void Replay_ObserveLearnAll_ConnectionsMatchTheOracle(string name)
    {
        if (Traces.Directory is null)
        {
            output.WriteLine($"skipped: no ../shared/traces (the generated-traffic test covers the same check).");
            return;
        }

        AssertConversations(Path.Combine(Traces.Directory, name));
    }

    [Fact]
    public void Replay_GeneratedTraffic_ConnectionsMatchTheOracle()
    {
        var rng = new Random(7);
        var file = Path.Combine(Path.GetTempPath(), $"dashflow-generated-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var writer = PcapWriter.Create(file))
            {
                var frames = Enumerable.Range(0, 300).Select(i => TestPackets.BuildRandom(rng, out PacketSpec _)).ToList();
                frames.AddRange(frames.Take(100).ToList()); // repeats: the same conversations again
                long t = 1_700_000_000_000_000_000;
                foreach (var frame in frames)
                {
                    writer.Write(t, frame);
                    t += 1_000_000;
                }
            }

            AssertConversations(file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private void AssertConversations(string path)
    {
        // Arrange: the oracle's view, first.
        var expected = ConversationOracle.Distinct(path);
        var vnis = expected.Select(c => c.Vni).Distinct().ToList();
        Assert.Equal(vnis.Count, vnis.Select(v => v & 0xFFFF).Distinct().Count());
        var expectedByProto = expected.GroupBy(c => ConversationOracle.ProtocolName(c.Protocol)).ToDictionary(g => g.Key, g => (long)g.Count());

        // Act
        var (pipeline, census) = Replay(path, ObserveLearnMode.All, teardown: false, ttlMs: 0);

        // Assert
        var actualByProto = census.ByProtocol.ToDictionary(p => ConversationOracle.ProtocolName(p.Key), p => p.Value);
        output.WriteLine($"{Path.GetFileName(path)}: oracle {Format(expectedByProto)}; pipeline {Format(actualByProto)}; drops {Format(pipeline.Counters.DropsByReason())}");
        Assert.Equal(expectedByProto.OrderBy(p => p.Key), actualByProto.OrderBy(p => p.Key));
        Assert.Equal(census.Connections * 2, census.Entries); // every connection is a linked pair
        Assert.Equal(pipeline.Counters.Packets, pipeline.Counters.Emitted + pipeline.Counters.Dropped);
        AssertTsharkAgrees(path, actualByProto);
    }

    /// <summary>tshark's own count of TCP and UDP conversations (plain traffic only: tshark shows VXLAN's inner and outer
    /// layers in one row, and quoted headers inside ICMP errors are excluded by the filter).</summary>
    private void AssertTsharkAgrees(string path, Dictionary<string, long> actualByProto)
    {
        if (Tshark.Path is null)
        {
            output.WriteLine("tshark not installed: cross-check skipped");
            return;
        }

        foreach (var protocol in new[] { "tcp", "udp" })
        {
            var rows = RunTshark(path, $"{protocol} && !icmp && !icmpv6 && !vxlan && !(udp.port == 4789)", protocol);
            if (rows is null)
            {
                output.WriteLine($"{protocol}: capture has VXLAN, tshark cross-check skipped");
                return;
            }

            var distinct = rows.Select(r =>
            {
                string a = $"{r[0]}|{r[2]}", b = $"{r[1]}|{r[3]}";
                return string.CompareOrdinal(a, b) <= 0 ? (a, b) : (b, a);
            }).Distinct().Count();
            output.WriteLine($"tshark {protocol}: {distinct}");
            Assert.Equal(distinct, actualByProto.GetValueOrDefault(protocol));
        }
    }

    /// <summary>Rows of (src, dst, sport, dport) for the filter; null when the capture has VXLAN.</summary>
    private static List<string[]>? RunTshark(string path, string filter, string protocol)
    {
        if (Fields(path, "vxlan", "frame.number").Count > 0)
        {
            return null;
        }

        return Fields(path, filter, "ip.src", "ipv6.src", "ip.dst", "ipv6.dst", $"{protocol}.srcport", $"{protocol}.dstport")
            .Select(f => new[] { f[0] + f[1], f[2] + f[3], f[4], f[5] })
            .ToList();
    }

    private static List<string[]> Fields(string path, string filter, params string[] fields)
    {
        var info = new ProcessStartInfo(Tshark.Path!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-r", path, "-Y", filter, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f" })
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var field in fields)
        {
            info.ArgumentList.Add("-e");
            info.ArgumentList.Add(field);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stderr.Result);
        return lines.Select(l => l.Split('\t')).Where(f => f.Length == fields.Length).ToList();
    }

    internal static (FlowPipeline Pipeline, ConnectionCensus Census) Replay(string path, ObserveLearnMode learn, bool teardown, uint ttlMs,
        TcpCloseMode close = TcpCloseMode.Both)
    {
        using var h = new PipelineHarness((api, table) => new ObserveApp(api, table, learn), ttlMs: ttlMs, maxFlows: 200_000, close: close,
            teardown: teardown, output: new CountingPacketOutput());
        using (var reader = CaptureReader.Open(path))
        {
            CaptureReplay.Run(reader, h.Pipeline);
        }

        return (h.Pipeline, ConnectionCensus.Take(h.Table));
    }

    private static string Format<T>(IEnumerable<KeyValuePair<string, T>> counts) => string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"));
}
