using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using DashFlow.Dataplane.Capture;
using PacketDotNet;
using Xunit.Abstractions;

namespace DashFlow.Dataplane.Tests;

public sealed class CaptureTests(ITestOutputHelper output)
{
    private static List<(long Ns, byte[] Data, int Original)> ReadAll(Stream stream)
    {
        var frames = new List<(long, byte[], int)>();
        using var reader = CaptureReader.Open(stream, leaveOpen: true);
        while (reader.TryRead(out var record))
        {
            frames.Add((record.TimestampNanoseconds, record.Data.ToArray(), record.OriginalLength));
        }

        return frames;
    }

    /// <summary>A pcap reader written for this test only: header fields and records by hand.</summary>
    private static List<(long Ns, byte[] Data)> IndependentPcapParse(byte[] file)
    {
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(file);
        bool nanoseconds = magic == 0xA1B23C4D;
        Assert.True(magic is 0xA1B2C3D4 or 0xA1B23C4D);
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(4)));
        Assert.Equal(4, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(6)));
        Assert.Equal(1, BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(20)));
        var frames = new List<(long, byte[])>();
        for (int pos = 24; pos < file.Length;)
        {
            long seconds = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(pos));
            long fraction = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(pos + 4));
            int length = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(pos + 8));
            frames.Add((seconds * 1_000_000_000 + (nanoseconds ? fraction : fraction * 1000), file.AsSpan(pos + 16, length).ToArray()));
            pos += 16 + length;
        }

        return frames;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PcapWriter_RoundTrips_ThroughOurReader_AnIndependentParse_AndPacketDotNet(bool nanoseconds)
    {
        var rng = new Random(nanoseconds ? 11 : 10);
        var written = new List<(long Ns, byte[] Data)>();
        using var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, nanoseconds: nanoseconds, leaveOpen: true))
        {
            long t = 1_600_000_000_000_000_000L;
            for (int i = 0; i < 300; i++)
            {
                t += rng.Next(1, 2_000_000_000);
                var frame = TestPackets.BuildRandom(rng, out _);
                writer.Write(t, frame);
                written.Add((nanoseconds ? t : t / 1000 * 1000, frame));
            }

            Assert.Equal(300, writer.FrameCount);
        }

        var bytes = stream.ToArray();
        stream.Position = 0;
        var ours = ReadAll(stream);
        var independent = IndependentPcapParse(bytes);
        Assert.Equal(written.Count, ours.Count);
        for (int i = 0; i < written.Count; i++)
        {
            Assert.Equal(written[i].Ns, ours[i].Ns);
            Assert.Equal(written[i].Data, ours[i].Data);
            Assert.Equal(written[i].Data.Length, ours[i].Original);
            Assert.Equal(written[i].Ns, independent[i].Ns);
            Assert.Equal(written[i].Data, independent[i].Data);
            Assert.Equal(TestPackets.Parse(written[i].Data).Bytes, Packet.ParsePacket(LinkLayers.Ethernet, ours[i].Data).Bytes);
        }

        if (Tshark.Path is not null)
        {
            var file = Path.Combine(Path.GetTempPath(), $"dashflow-roundtrip-{Guid.NewGuid():N}.pcap");
            File.WriteAllBytes(file, bytes);
            try
            {
                var times = TsharkTimes(file);
                Assert.Equal(written.Select(w => (w.Ns, w.Data.Length)), times);
            }
            finally
            {
                File.Delete(file);
            }
        }
    }

    [Fact]
    public void BigEndianNanosecondPcap_IsRead()
    {
        var file = new byte[24 + 16 + 3 + 16 + 5];
        BinaryPrimitives.WriteUInt32BigEndian(file, 0xA1B23C4D);
        BinaryPrimitives.WriteUInt16BigEndian(file.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16BigEndian(file.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(16), 65535);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(20), 1);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(24), 10);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(28), 999_999_999);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(32), 3);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(36), 60);
        file[40] = 0xAA;
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(43), 11);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(47), 5);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(51), 5);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(55), 5);
        using var reader = CaptureReader.Open(new MemoryStream(file));
        var pcap = Assert.IsType<PcapReader>(reader);
        Assert.True(pcap.IsBigEndian && pcap.IsNanosecond);
        Assert.True(reader.TryRead(out var first));
        Assert.Equal(10_999_999_999L, first.TimestampNanoseconds);
        Assert.Equal(new byte[] { 0xAA, 0, 0 }, first.Data.ToArray());
        Assert.Equal(60, first.OriginalLength);
        Assert.True(reader.TryRead(out var second));
        Assert.Equal(11_000_000_005L, second.TimestampNanoseconds);
        Assert.False(reader.TryRead(out _));
    }

    /// <summary>pcapng blocks written by hand.</summary>
    private sealed class PcapNgBuilder(bool bigEndian)
    {
        private readonly MemoryStream _stream = new();

        public bool BigEndian { get; set; } = bigEndian;

        public byte[] ToArray() => _stream.ToArray();

        private void U32(Span<byte> at, uint v)
        {
            if (BigEndian)
            {
                BinaryPrimitives.WriteUInt32BigEndian(at, v);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(at, v);
            }
        }

        private void U16(Span<byte> at, ushort v)
        {
            if (BigEndian)
            {
                BinaryPrimitives.WriteUInt16BigEndian(at, v);
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(at, v);
            }
        }

        public void Block(uint type, byte[] body, int? trailerOverride = null)
        {
            int padded = (body.Length + 3) & ~3;
            var block = new byte[12 + padded];
            U32(block, type);
            U32(block.AsSpan(4), (uint)block.Length);
            body.CopyTo(block, 8);
            U32(block.AsSpan(block.Length - 4), (uint)(trailerOverride ?? block.Length));
            _stream.Write(block);
        }

        public void Section()
        {
            var body = new byte[16];
            U32(body, 0x1A2B3C4D);
            U16(body.AsSpan(4), 1);
            BinaryPrimitives.WriteInt64LittleEndian(body.AsSpan(8), -1);
            Block(0x0A0D0D0A, body);
        }

        public byte[] Option(ushort code, byte[] value)
        {
            var option = new byte[4 + ((value.Length + 3) & ~3)];
            U16(option, code);
            U16(option.AsSpan(2), (ushort)value.Length);
            value.CopyTo(option, 4);
            return option;
        }

        public void Interface(ushort linkType, int snapLength, params byte[][] options)
        {
            var head = new byte[8];
            U16(head, linkType);
            U32(head.AsSpan(4), (uint)snapLength);
            Block(1, head.Concat(options.SelectMany(o => o)).Concat(new byte[4]).ToArray());
        }

        public byte[] Offset(long seconds)
        {
            var value = new byte[8];
            if (BigEndian)
            {
                BinaryPrimitives.WriteInt64BigEndian(value, seconds);
            }
            else
            {
                BinaryPrimitives.WriteInt64LittleEndian(value, seconds);
            }

            return value;
        }

        public void Enhanced(uint iface, ulong timestamp, byte[] data, int original)
        {
            var head = new byte[20];
            U32(head, iface);
            U32(head.AsSpan(4), (uint)(timestamp >> 32));
            U32(head.AsSpan(8), (uint)timestamp);
            U32(head.AsSpan(12), (uint)data.Length);
            U32(head.AsSpan(16), (uint)original);
            Block(6, head.Concat(data).ToArray());
        }

        public void Simple(byte[] data)
        {
            var head = new byte[4];
            U32(head, (uint)data.Length);
            Block(3, head.Concat(data).ToArray());
        }
    }

    [Fact]
    public void PcapNg_SectionsOfBothByteOrders_ResolutionsOffsets_SimpleAndUnknownBlocks()
    {
        var b = new PcapNgBuilder(bigEndian: false);
        b.Section();
        b.Interface(1, 0);                                                      // default µs
        b.Interface(1, 0, b.Option(9, [9]));                                    // ns
        b.Block(0x0000_0BAD, new byte[10]);                                     // unknown: skipped
        b.Block(4, new byte[8]);                                                // name resolution: skipped
        b.Enhanced(0, 1_500_000_000_123_456UL, [1, 2, 3], 3);
        b.Enhanced(1, 1_500_000_000_123_456_789UL, [4, 5, 6, 7, 8], 1514);
        b.Simple([9, 9, 9, 9, 9, 9]);
        b.Block(5, new byte[12]);                                               // interface statistics: skipped
        b.BigEndian = true;
        b.Section();                                                            // a new section resets the interfaces
        b.Interface(101, 2, b.Option(9, [0x94]), b.Option(14, b.Offset(100)));  // 2^-20 s, +100 s, snap 2
        b.Enhanced(0, (3UL << 20) | (1UL << 19), [0xAB], 1);
        b.Simple([7, 7, 7, 7]);                                                 // cut to the snap length

        using var reader = CaptureReader.Open(new MemoryStream(b.ToArray()), name: "synthetic.pcap");
        Assert.Equal(CaptureFormat.PcapNg, reader.Format);
        var records = new List<(long Ns, int Link, int Iface, byte[] Data, int Original)>();
        while (reader.TryRead(out var r))
        {
            records.Add((r.TimestampNanoseconds, r.LinkType, r.InterfaceId, r.Data.ToArray(), r.OriginalLength));
        }

        Assert.Equal(5, records.Count);
        Assert.Equal((1_500_000_000_123_456_000L, 1, 0), (records[0].Ns, records[0].Link, records[0].Iface));
        Assert.Equal(new byte[] { 1, 2, 3 }, records[0].Data);
        Assert.Equal((1_500_000_000_123_456_789L, 1, 1514), (records[1].Ns, records[1].Iface, records[1].Original));
        Assert.Equal(new byte[] { 9, 9, 9, 9, 9, 9 }, records[2].Data);
        Assert.Equal((103_500_000_000L, 101), (records[3].Ns, records[3].Link));
        Assert.Equal(new byte[] { 7, 7 }, records[4].Data);
        Assert.Equal(4, records[4].Original);
    }

    public static TheoryData<string, byte[], string> MalformedFiles()
    {
        var pcapHeader = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(pcapHeader, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(pcapHeader.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(pcapHeader.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(pcapHeader.AsSpan(20), 1);
        var hugeRecord = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(hugeRecord.AsSpan(8), 0x7000_0000);
        var shortRecord = new byte[16 + 10];
        BinaryPrimitives.WriteUInt32LittleEndian(shortRecord.AsSpan(8), 60);
        var badVersion = pcapHeader.ToArray();
        badVersion[4] = 9;

        var trailer = new PcapNgBuilder(false);
        trailer.Section();
        trailer.Block(1, new byte[8], trailerOverride: 99);
        var undefinedInterface = new PcapNgBuilder(false);
        undefinedInterface.Section();
        undefinedInterface.Enhanced(3, 0, [1], 1);
        var badBom = new PcapNgBuilder(false);
        badBom.Section();
        var badBomBytes = badBom.ToArray();
        badBomBytes[8] = 0x00;
        var oddLength = new PcapNgBuilder(false);
        oddLength.Section();
        var oddBytes = oddLength.ToArray().Concat(new byte[] { 1, 0, 0, 0, 13, 0, 0, 0 }).Concat(new byte[8]).ToArray();

        return new TheoryData<string, byte[], string>
        {
            { "empty", [], "too short" },
            { "three bytes", [0xD4, 0xC3, 0xB2], "too short" },
            { "text file", "hello, world\n"u8.ToArray(), "unknown magic" },
            { "pcap header cut", pcapHeader[..10], "ends inside the pcap file header" },
            { "pcap version 9", badVersion, "version 9" },
            { "pcap record claims 1.8 GB", pcapHeader.Concat(hugeRecord).ToArray(), "corrupt" },
            { "pcap record cut", pcapHeader.Concat(shortRecord).ToArray(), "ends inside a record's data (after frame 0" },
            { "pcap record header cut", pcapHeader.Concat(new byte[7]).ToArray(), "ends inside a record header" },
            { "pcapng trailer mismatch", trailer.ToArray(), "trailing length is 99" },
            { "pcapng undefined interface", undefinedInterface.ToArray(), "names interface 3" },
            { "pcapng byte-order magic", badBomBytes, "byte-order magic" },
            { "pcapng length not a multiple of 4", oddBytes, "invalid length 13" },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public void MalformedCaptures_RaiseAClearCaptureFormatException(string name, byte[] file, string expected)
    {
        var error = Assert.Throws<CaptureFormatException>(() =>
        {
            using var reader = CaptureReader.Open(new MemoryStream(file), name: "bad.cap");
            while (reader.TryRead(out _))
            {
            }
        });
        output.WriteLine($"{name}: {error.Message}");
        Assert.Contains("bad.cap", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FormatComesFromTheMagicNumber_NotTheFileName()
    {
        if (Traces.Directory is null)
        {
            output.WriteLine("skipped: no ../shared/traces.");
            return;
        }

        using (var misnamed = CaptureReader.Open(Path.Combine(Traces.Directory, "stopddos__amp.UDP.bacnet.IOT.37810.pcapng")))
        {
            Assert.Equal(CaptureFormat.Pcap, misnamed.Format);
        }

        using var real = CaptureReader.Open(Path.Combine(Traces.Directory, "ndpi__alexa-app.pcapng"));
        Assert.Equal(CaptureFormat.PcapNg, real.Format);
    }

    [Theory]
    [InlineData("ndpi__alexa-app.pcapng")]
    [InlineData("stopddos__amp.UDP.bacnet.IOT.37810.pcapng")]
    [InlineData("ndpi__1kxun.pcap")]
    public void Timestamps_AndLengths_MatchTshark(string name)
    {
        if (Traces.Directory is null || Tshark.Path is null)
        {
            output.WriteLine("skipped: needs ../shared/traces and tshark.");
            return;
        }

        var path = Path.Combine(Traces.Directory, name);
        var ours = new List<(long, int)>();
        using (var reader = CaptureReader.Open(path))
        {
            while (reader.TryRead(out var r))
            {
                ours.Add((r.TimestampNanoseconds, r.Data.Length));
            }
        }

        Assert.Equal(TsharkTimes(path), ours);
    }

    private static List<(long Ns, int Length)> TsharkTimes(string file)
    {
        var info = new ProcessStartInfo(Tshark.Path!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-r", file, "-T", "fields", "-E", "separator=|", "-e", "frame.time_epoch", "-e", "frame.cap_len" })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        _ = process.StandardError.ReadToEndAsync();
        var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        process.WaitForExit();
        return lines.Select(line =>
        {
            var fields = line.Split('|');
            var parts = fields[0].Split('.');
            long ns = long.Parse(parts[0], CultureInfo.InvariantCulture) * 1_000_000_000L + long.Parse(parts[1].PadRight(9, '0')[..9], CultureInfo.InvariantCulture);
            return (ns, int.Parse(fields[1], CultureInfo.InvariantCulture));
        }).ToList();
    }
}
