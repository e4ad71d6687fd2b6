using System.Buffers;
using Google.Protobuf;
using Grpc.Core;

namespace DashFlow.Server.Grpc;

/// <summary>
/// Marshallers for hand-bound gRPC methods: <see cref="Pooled{T}"/> copies one <c>bytes</c> field once from the transport
/// into a rented buffer and gives every other field to the generated parser, so the message means exactly what protobuf
/// says (the last scalar wins, messages merge, unknown fields are kept); <see cref="Standard{T}"/> is the generated
/// marshaller's equivalent for the methods that do not need it.
/// </summary>
public static class PooledMessageMarshaller
{
    /// <summary>A marshaller reading field <paramref name="pooledField"/> into a rented buffer. Serializing (tests and
    /// tools only) writes the field back into the message.</summary>
    public static Marshaller<PooledMessage<T>> Pooled<T>(int pooledField, Action<T, ByteString> setPooled)
        where T : IMessage<T>, new()
    {
        ArgumentNullException.ThrowIfNull(setPooled);
        return Marshallers.Create<PooledMessage<T>>(
            (message, context) =>
            {
                var copy = message.Message.Clone();
                setPooled(copy, ByteString.CopyFrom(message.Pooled.Span));
                context.Complete(copy.ToByteArray());
            },
            context => Parse<T>(context.PayloadAsReadOnlySequence(), pooledField));
    }

    /// <summary>The generated marshaller's equivalent for <typeparamref name="T"/>.</summary>
    public static Marshaller<T> Standard<T>()
        where T : IMessage<T>, new()
    {
        var parser = new MessageParser<T>(() => new T());
        return Marshallers.Create<T>(
            static (message, context) =>
            {
                context.SetPayloadLength(message.CalculateSize());
                message.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));
    }

    /// <summary>Parses one message; a malformed one throws an <see cref="RpcException"/> with INVALID_ARGUMENT naming the
    /// message and the problem.</summary>
    public static PooledMessage<T> Parse<T>(ReadOnlySequence<byte> payload, int pooledField)
        where T : IMessage<T>, new()
    {
        var reader = new SequenceReader<byte>(payload);
        byte[]? pooled = null;
        int pooledLength = 0;
        var rest = new ArrayBufferWriter<byte>(64);
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
                    throw new FormatException("field number 0");
                }

                if (field == pooledField && wireType == 2)
                {
                    int length = ReadLength(ref reader, $"field {field}");
                    if (pooled is not null)
                    {
                        ArrayPool<byte>.Shared.Return(pooled); // a repeated scalar field: the last one wins
                    }

                    pooled = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                    pooledLength = length;
                    reader.TryCopyTo(pooled.AsSpan(0, length));
                    reader.Advance(length);
                    continue;
                }

                SkipField(ref reader, field, wireType);
                foreach (var segment in payload.Slice(fieldStart, reader.Consumed - fieldStart))
                {
                    rest.Write(segment.Span);
                }
            }

            var message = new T();
            message.MergeFrom(rest.WrittenSpan);
            return new PooledMessage<T>(message, pooled, pooledLength);
        }
        catch (Exception e) when (e is FormatException or InvalidProtocolBufferException)
        {
            if (pooled is not null)
            {
                ArrayPool<byte>.Shared.Return(pooled);
            }

            throw new RpcException(new Status(StatusCode.InvalidArgument, $"malformed {new T().Descriptor.FullName}: {e.Message}"));
        }
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
                throw new FormatException($"field {field} has wire type {wireType}, which proto3 does not use");
        }
    }

    private static void Advance(ref SequenceReader<byte> reader, int count, int field)
    {
        if (reader.Remaining < count)
        {
            throw new FormatException($"field {field} is truncated");
        }

        reader.Advance(count);
    }

    private static int ReadLength(ref SequenceReader<byte> reader, string what)
    {
        ulong length = ReadVarint(ref reader, what);
        if (length > (ulong)reader.Remaining)
        {
            throw new FormatException($"{what} claims {length} bytes, {reader.Remaining} remain");
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
                throw new FormatException($"{what} is truncated");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new FormatException($"{what} is a varint longer than 10 bytes");
    }
}
