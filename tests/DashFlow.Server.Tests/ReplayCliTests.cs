using System.IO.Compression;
using System.Text.Json;
using DashFlow.Cli;
using DashFlow.Dataplane.Capture;

namespace DashFlow.Server.Tests;

/// <summary><c>dashflow replay</c> through the real CLI: its JSON report, --out and --dump files, and its error exits.</summary>
public sealed class ReplayCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dashflow-replay-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Replay_Json_ReportsCountsAndWritesOutAndDump()
    {
        // Arrange: three UDP conversations, each answered, and one ARP frame.
        var pcap = Path.Combine(_folder, "in.pcap");
        using (var writer = PcapWriter.Create(pcap))
        {
            long t = 1_700_000_000_000_000_000;
            for (int i = 0; i < 3; i++)
            {
                writer.Write(t += 1_000_000, Udp(0x0A000001, 0x0A000002, (ushort)(1000 + i), 53));
                writer.Write(t += 1_000_000, Udp(0x0A000002, 0x0A000001, 53, (ushort)(1000 + i)));
            }

            var arp = new byte[60];
            arp[12] = 0x08;
            arp[13] = 0x06;
            writer.Write(t + 1_000_000, arp);
        }

        var outFile = Path.Combine(_folder, "out.pcap");
        var dump = Path.Combine(_folder, "flows.jsonl.gz");

        // Act
        var result = AgentFixture.Run("replay", pcap, "--ttl", "0", "--out", outFile, "--dump", dump, "--json");

        // Assert
        Assert.Equal(ExitCodes.Ok, result.Exit);
        using var report = JsonDocument.Parse(result.Out);
        var root = report.RootElement;
        Assert.Equal(7, root.GetProperty("packets").GetInt64());
        Assert.Equal(6, root.GetProperty("packets_parsed").GetInt64());
        Assert.Equal(1, root.GetProperty("drops").GetProperty("unsupported_ether_type").GetInt64());
        Assert.Equal(6, root.GetProperty("flows_created").GetInt64());
        Assert.Equal(6, root.GetProperty("flow_entries").GetInt64());
        Assert.Equal(3, root.GetProperty("connections").GetInt64());
        Assert.Equal(3, root.GetProperty("connections_by_proto").GetProperty("udp").GetInt64());
        Assert.Equal(0, root.GetProperty("connections_by_proto").GetProperty("tcp").GetInt64());
        Assert.Equal(0, root.GetProperty("flows_aged").GetInt64());
        Assert.True(root.TryGetProperty("pps", out _));
        using (var reader = CaptureReader.Open(outFile))
        {
            int frames = 0;
            while (reader.TryRead(out _))
            {
                frames++;
            }

            Assert.Equal(6, frames);
        }

        using var gz = new GZipStream(File.OpenRead(dump), CompressionMode.Decompress);
        var lines = new StreamReader(gz).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        Assert.All(lines, l => Assert.Equal(17, JsonDocument.Parse(l).RootElement.GetProperty("pr").GetInt32()));
    }

    [Fact]
    public void Replay_MissingFile_OneErrorLineAndLocalErrorExit()
    {
        var result = AgentFixture.Run("replay", Path.Combine(_folder, "missing.pcap"));

        Assert.Equal(ExitCodes.LocalError, result.Exit);
        Assert.StartsWith("dashflow: missing.pcap:", result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Replay_NotACapture_OneErrorLineAndLocalErrorExit()
    {
        var file = Path.Combine(_folder, "text.pcap");
        File.WriteAllText(file, "this is not a capture file");

        var result = AgentFixture.Run("replay", file);

        Assert.Equal(ExitCodes.LocalError, result.Exit);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain(" at ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_UnknownLearnMode_UsageExit()
    {
        var result = AgentFixture.Run("replay", "x.pcap", "--learn", "some");

        Assert.Equal(ExitCodes.Usage, result.Exit);
    }

    private static byte[] Udp(uint src, uint dst, ushort srcPort, ushort dstPort)
    {
        var frame = new byte[14 + 20 + 8 + 4];
        frame[12] = 0x08;
        frame[14] = 0x45;
        frame[16] = 0;
        frame[17] = (byte)(frame.Length - 14);
        frame[22] = 64;
        frame[23] = 17;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(26), src);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(30), dst);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(34), srcPort);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(36), dstPort);
        frame[39] = 12;
        return frame;
    }
}
