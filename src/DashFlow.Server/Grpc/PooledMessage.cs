using System.Buffers;
using Google.Protobuf;

namespace DashFlow.Server.Grpc;

/// <summary>
/// A received protobuf message whose one large <c>bytes</c> field sits in a rented buffer instead of a fresh array (bulk
/// and inline sync send thousands of 100+ KiB batches, and a new array for each costs an allocation, page faults and
/// collections). <see cref="Message"/> holds every other field; the pooled field is valid until <see cref="Dispose"/>.
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
public sealed class PooledMessage<T> : IDisposable
    where T : IMessage<T>
{
    private byte[]? _pooled;
    private readonly int _length;

    internal PooledMessage(T message, byte[]? pooled, int length)
    {
        Message = message;
        _pooled = pooled;
        _length = length;
    }

    /// <summary>The message without the pooled field.</summary>
    public T Message { get; }

    /// <summary>The pooled field's bytes, empty when the message did not carry it.</summary>
    public ReadOnlyMemory<byte> Pooled
    {
        get
        {
            ObjectDisposedException.ThrowIf(_length > 0 && _pooled is null, this);
            return _pooled is null ? ReadOnlyMemory<byte>.Empty : _pooled.AsMemory(0, _length);
        }
    }

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose()
    {
        if (_pooled is { } pooled)
        {
            _pooled = null;
            ArrayPool<byte>.Shared.Return(pooled);
        }
    }
}
