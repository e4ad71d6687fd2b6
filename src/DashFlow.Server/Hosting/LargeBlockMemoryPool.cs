using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;

namespace DashFlow.Server.Hosting;

/// <summary>
/// Kestrel's buffers in 64 KiB blocks instead of 4 KiB: a socket read fills at most one block, so a bulk sync streaming
/// hundreds of megabytes took one receive system call per 2-4 KiB. An agent has a few long-lived peers, not thousands of
/// idle browsers, so the larger blocks cost little memory.
/// </summary>
public sealed class LargeBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    /// <summary>The block size.</summary>
    public const int BlockSize = 64 * 1024;

    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool();

    private sealed class LargeBlockMemoryPool : MemoryPool<byte>
    {
        private const int MaxPooledBlocks = 256; // 16 MiB kept per pool at most; the rest goes back to the GC

        private readonly ConcurrentQueue<Block> _free = new();
        private int _freeCount;
        private bool _disposed;

        public override int MaxBufferSize => BlockSize;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_free.TryDequeue(out var block))
            {
                Interlocked.Decrement(ref _freeCount);
                block.Rented = true;
                return block;
            }

            return new Block(this);
        }

        internal void Return(Block block)
        {
            if (!_disposed && Interlocked.Increment(ref _freeCount) <= MaxPooledBlocks)
            {
                _free.Enqueue(block);
                return;
            }

            Interlocked.Decrement(ref _freeCount);
        }

        protected override void Dispose(bool disposing)
        {
            _disposed = true;
            _free.Clear();
        }
    }

    private sealed class Block : IMemoryOwner<byte>
    {
        private readonly LargeBlockMemoryPool _pool;

        public Block(LargeBlockMemoryPool pool)
        {
            _pool = pool;
            Memory = MemoryMarshal.CreateFromPinnedArray(GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true), 0, BlockSize);
            Rented = true;
        }

        public Memory<byte> Memory { get; }

        public bool Rented { get; set; }

        public void Dispose()
        {
            if (Rented)
            {
                Rented = false; // a double dispose must not put the block in the queue twice
                _pool.Return(this);
            }
        }
    }
}
