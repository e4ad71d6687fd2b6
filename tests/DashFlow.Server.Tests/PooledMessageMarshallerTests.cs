using System.Buffers;
using DashFlow.Server.Grpc;
using Google.Protobuf;
using Grpc.Core;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Tests;

/// <summary>The pooled-field parser (FlowBatch with packed_entries pooled, as the receiver reads it) against the generated
/// protobuf parser, the oracle, on random messages split into random transport segments, concatenated messages (protobuf
/// merge rules) and every truncation; and FlowSyncBatch, the inline stream's message, the same way.</summary>
public sealed class PooledMessageMarshallerTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Parse_RandomMessagesInRandomSegments_AgreesWithGeneratedParser(int seed)
    {
        var random = new Random(seed);
        for (int round = 0; round < 300; round++)
        {
            byte[] wire = RandomMessage(random).ToByteArray();
            if (random.Next(4) == 0)
            {
                wire = [.. wire, .. RandomMessage(random).ToByteArray()]; // a concatenation is a merge
            }

            var expected = Proto.FlowBatch.Parser.ParseFrom(wire);
            using var parsed = Parse(Segmented(wire, random));
            AssertSame(expected, parsed);
        }
    }

    [Fact]
    public void Parse_EveryTruncation_FailsExactlyWhenGeneratedParserFails()
    {
        var random = new Random(11);
        for (int round = 0; round < 40; round++)
        {
            byte[] wire = RandomMessage(random, maxPacked: 200).ToByteArray();
            for (int length = 0; length < wire.Length; length++)
            {
                byte[] prefix = wire[..length];
                Proto.FlowBatch? expected = null;
                try
                {
                    expected = Proto.FlowBatch.Parser.ParseFrom(prefix);
                }
                catch (InvalidProtocolBufferException)
                {
                }

                if (expected is null)
                {
                    var e = Assert.Throws<RpcException>(() => Parse(Segmented(prefix, random)).Dispose());
                    Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
                    Assert.StartsWith("malformed dash.flow.v1.FlowBatch: ", e.Status.Detail, StringComparison.Ordinal);
                }
                else
                {
                    using var parsed = Parse(Segmented(prefix, random));
                    AssertSame(expected, parsed);
                }
            }
        }
    }

    [Fact]
    public void Parse_SyncBatches_AgreeWithGeneratedParser()
    {
        var random = new Random(5);
        for (int round = 0; round < 200; round++)
        {
            var message = new Proto.FlowSyncBatch { FirstSeq = (ulong)random.NextInt64(), PackedCount = (uint)random.Next(3000), FlowTableId = (ulong)random.Next() };
            message.Ops = ByteString.CopyFrom(Bytes(random, random.Next(3000)));
            message.PackedEntries = ByteString.CopyFrom(Bytes(random, random.Next(200_000)));
            message.Table = random.Next(2) == 0 ? null : new Proto.HaTable { MaxFlowCount = (uint)random.Next(), TtlMs = (uint)random.Next() };
            message.Requests.Add(new Proto.FlowSyncRequest { Seq = 7, Op = 3, Timed = true });
            byte[] wire = message.ToByteArray();
            using var parsed = PooledMessageMarshaller.Parse<Proto.FlowSyncBatch>(Segmented(wire, random), Proto.FlowSyncBatch.PackedEntriesFieldNumber);
            Assert.Equal(message.PackedEntries.ToByteArray(), parsed.Pooled.ToArray());
            var rest = message.Clone();
            rest.PackedEntries = ByteString.Empty;
            Assert.Equal(rest, parsed.Message);
        }
    }

    [Fact]
    public void Parse_UnknownFieldsOfEveryWireType_AreSkippedOver()
    {
        var message = new Proto.FlowBatch { SessionId = 9, PackedEntries = ByteString.CopyFrom(1, 2, 3), PackedCount = 1 };
        byte[] wire =
        [
            (9 << 3) | 0, 0x96, 0x01,             // field 9 varint
            (10 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8, // field 10 fixed64
            (11 << 3) | 2, 2, 0xAA, 0xBB,          // field 11 length-delimited
            (12 << 3) | 5, 1, 2, 3, 4,             // field 12 fixed32
            .. message.ToByteArray(),
        ];
        using var parsed = Parse(new ReadOnlySequence<byte>(wire));
        AssertSame(Proto.FlowBatch.Parser.ParseFrom(wire), parsed); // kept as unknown fields, as the generated parser keeps them
        Assert.Equal(message.SessionId, parsed.Message.SessionId);
    }

    [Fact]
    public void Parse_GroupWireType_IsRefusedWithItsField()
    {
        byte[] wire = [(7 << 3) | 3, (7 << 3) | 4];
        var e = Assert.Throws<RpcException>(() => Parse(new ReadOnlySequence<byte>(wire)));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("field 7 has wire type 3", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_ReturnsThePackedBuffer_SoTheBatchCanNoLongerBeRead()
    {
        var message = new Proto.FlowBatch { PackedEntries = ByteString.CopyFrom(new byte[300]), PackedCount = 2 };
        var parsed = Parse(new ReadOnlySequence<byte>(message.ToByteArray()));
        Assert.Equal(300, parsed.Pooled.Length);
        parsed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => parsed.Pooled);
        parsed.Dispose(); // twice is harmless
    }

    private static PooledMessage<Proto.FlowBatch> Parse(ReadOnlySequence<byte> payload) =>
        PooledMessageMarshaller.Parse<Proto.FlowBatch>(payload, Proto.FlowBatch.PackedEntriesFieldNumber);

    /// <summary>The pooled field holds the message's field; the message holds everything else, exactly.</summary>
    private static void AssertSame(Proto.FlowBatch expected, PooledMessage<Proto.FlowBatch> actual)
    {
        Assert.Equal(expected.PackedEntries.ToByteArray(), actual.Pooled.ToArray());
        var rest = expected.Clone();
        rest.PackedEntries = ByteString.Empty;
        Assert.Equal(rest, actual.Message);
    }

    private static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static Proto.FlowBatch RandomMessage(Random random, int maxPacked = 70_000)
    {
        var message = new Proto.FlowBatch();
        if (random.Next(3) > 0)
        {
            message.SessionId = (ulong)random.NextInt64() >> random.Next(64);
        }

        for (int i = random.Next(3); i > 0; i--)
        {
            message.Entries.Add(new Proto.SaiDashFlowEntry
            {
                FlowKey = new Proto.SaiDashFlowKey { VnetId = (uint)random.Next(65536), SrcPort = (uint)random.Next(65536) },
                FlowState = new Proto.SaiDashFlowState { Version = (uint)random.Next() },
            });
        }

        if (random.Next(3) == 0)
        {
            message.Completion = new Proto.BulkGetCompletion { TotalEntries = (ulong)random.Next(), Status = -random.Next(20) };
        }

        if (random.Next(4) > 0)
        {
            var packed = new byte[random.Next(random.Next(2) == 0 ? Math.Min(200, maxPacked) : maxPacked)];
            random.NextBytes(packed);
            message.PackedEntries = ByteString.CopyFrom(packed);
            message.PackedCount = (uint)random.Next(1, 2000);
        }

        return message;
    }

    /// <summary>The bytes as a sequence of 1 to 6 segments cut at random places, as a transport may deliver them.</summary>
    private static ReadOnlySequence<byte> Segmented(byte[] bytes, Random random)
    {
        int cuts = Math.Min(bytes.Length, random.Next(6));
        var points = Enumerable.Range(0, cuts).Select(_ => random.Next(bytes.Length + 1)).Append(0).Append(bytes.Length).Distinct().Order().ToArray();
        Segment? first = null, last = null;
        for (int i = 0; i + 1 < points.Length; i++)
        {
            var memory = bytes.AsMemory(points[i], points[i + 1] - points[i]);
            last = last is null ? (first = new Segment(memory, 0)) : last.Append(memory);
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
