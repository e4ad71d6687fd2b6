using DashFlow.Server.Hosting;

namespace DashFlow.Server.Tests;

/// <summary>The agent's Kestrel memory pool: 64 KiB blocks, reused after return, never handed out twice.</summary>
public sealed class LargeBlockMemoryPoolTests
{
    [Fact]
    public void Rent_ReturnsWholeBlocks_AndReusesReturnedOnes()
    {
        using var pool = new LargeBlockMemoryPoolFactory().Create();
        Assert.Equal(LargeBlockMemoryPoolFactory.BlockSize, pool.MaxBufferSize);
        var first = pool.Rent(100);
        Assert.Equal(LargeBlockMemoryPoolFactory.BlockSize, first.Memory.Length);
        var memory = first.Memory;
        first.Dispose();
        using var second = pool.Rent();
        Assert.True(second.Memory.Span == memory.Span, "a returned block is rented again");
    }

    [Fact]
    public void Dispose_Twice_DoesNotHandTheBlockOutTwice()
    {
        using var pool = new LargeBlockMemoryPoolFactory().Create();
        var block = pool.Rent();
        block.Dispose();
        block.Dispose();
        using var a = pool.Rent();
        using var b = pool.Rent();
        Assert.False(a.Memory.Span == b.Memory.Span);
    }

    [Fact]
    public void Rent_AboveTheBlockSize_IsRefused()
    {
        using var pool = new LargeBlockMemoryPoolFactory().Create();
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(LargeBlockMemoryPoolFactory.BlockSize + 1));
    }
}
