using System.Buffers;
using Google.Protobuf;
using Grpc.Core;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Services;

/// <summary>
/// The receiver's marshaller for <c>FlowBatch</c>: packed_entries (4) is copied once from the transport into a rented
/// buffer, session_id (1) and packed_count (5) are read directly, and every other field goes through the generated parser,
/// so the message means exactly what protobuf says it means (later scalar fields win, messages merge).
/// </summary>
public static class FlowBatchMarshaller
{
    private const int SessionIdField = 1;
    private const int PackedEntriesField = 4;
    private const int PackedCountField = 5;

    /// <summary>The marshaller (serializing goes through the generated message: only tests and tools send this way).</summary>
    public static Marshaller<ReceivedFlowBatch> Instance { get; } = Marshallers.Create<ReceivedFlowBatch>(Serialize, Deserialize);

    /// <summary>Parses one message; a malformed one throws <see cref="InvalidProtocolBufferException"/>'s gRPC
    /// equivalent, an <see cref="RpcException"/> with INVALID_ARGUMENT naming the problem.</summary>
    public static ReceivedFlowBatch Parse(ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        ulong sessionId = 0;
        uint packedCount = 0;
        byte[]? packed = null;
        int packedLength = 0;
        ArrayBufferWriter<byte>? rest = null;
        try
        {
            while (!reader.End)
            {
                long fieldStart = reader.Consumed;
                ulong tag = ReadVarint(ref reader, "a field tag");
                int field = (int)(tag >> 3);
                int wireType = (int)(tag & 7);
                if (field == 0)
                {
                    throw Malformed("field number 0");
                }

                switch ((field, wireType))
                {
                    case (SessionIdField, 0):
                        sessionId = ReadVarint(ref reader, "session_id");
                        break;
                    case (PackedCountField, 0):
                        packedCount = (uint)ReadVarint(ref reader, "packed_count");
                        break;
                    case (PackedEntriesField, 2):
                        int length = ReadLength(ref reader, "packed_entries");
                        if (packed is not null)
                        {
                            ArrayPool<byte>.Shared.Return(packed); // a repeated scalar field: the last one wins
                        }

                        packed = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                        packedLength = length;
                        reader.TryCopyTo(packed.AsSpan(0, length));
                        reader.Advance(length);
                        break;
                    default:
                        SkipField(ref reader, field, wireType);
                        rest ??= new ArrayBufferWriter<byte>();
                        CopyRange(payload.Slice(fieldStart, reader.Consumed - fieldStart), rest);
                        break;
                }
            }

            var parsed = rest is null ? null : Proto.FlowBatch.Parser.ParseFrom(rest.WrittenSpan);
            return new ReceivedFlowBatch(sessionId, parsed, packed, packedLength, packedCount);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or RpcException)
        {
            if (packed is not null)
            {
                ArrayPool<byte>.Shared.Return(packed);
            }

            throw e as RpcException ?? Malformed(e.Message);
        }
    }

    private static ReceivedFlowBatch Deserialize(DeserializationContext context) => Parse(context.PayloadAsReadOnlySequence());

    private static void Serialize(ReceivedFlowBatch batch, SerializationContext context)
    {
        var message = new Proto.FlowBatch
        {
            SessionId = batch.SessionId,
            Completion = batch.Completion,
            PackedEntries = ByteString.CopyFrom(batch.PackedEntries.Span),
            PackedCount = batch.PackedCount,
        };
        message.Entries.Add(batch.Entries);
        context.Complete(message.ToByteArray());
    }

    private static void SkipField(ref SequenceReader<byte> reader, int field, int wireType)
    {
        switch (wireType)
        {
            case 0:
                ReadVarint(ref reader, $"field {field}");
                break;
            case 1:
                Advance(ref reader, 8, field);
                break;
            case 2:
                Advance(ref reader, ReadLength(ref reader, $"field {field}"), field);
                break;
            case 5:
                Advance(ref reader, 4, field);
                break;
            default:
                throw Malformed($"field {field} has wire type {wireType}, which proto3 does not use");
        }
    }

    private static void Advance(ref SequenceReader<byte> reader, int count, int field)
    {
        if (reader.Remaining < count)
        {
            throw Malformed($"field {field} is truncated");
        }

        reader.Advance(count);
    }

    private static int ReadLength(ref SequenceReader<byte> reader, string what)
    {
        ulong length = ReadVarint(ref reader, what);
        if (length > (ulong)reader.Remaining)
        {
            throw Malformed($"{what} claims {length} bytes, {reader.Remaining} remain");
        }

        return (int)length;
    }

    private static ulong ReadVarint(ref SequenceReader<byte> reader, string what)
    {
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (!reader.TryRead(out byte b))
            {
                throw Malformed($"{what} is truncated");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw Malformed($"{what} is a varint longer than 10 bytes");
    }

    private static void CopyRange(ReadOnlySequence<byte> range, ArrayBufferWriter<byte> to)
    {
        foreach (var segment in range)
        {
            to.Write(segment.Span);
        }
    }

    private static RpcException Malformed(string problem) =>
        new(new Status(StatusCode.InvalidArgument, $"malformed FlowBatch: {problem}"));
}
