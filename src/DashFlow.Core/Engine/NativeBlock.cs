using System.Runtime.InteropServices;

namespace DashFlow.Engine;

/// <summary>A block of native memory aligned to a cache line, outside the GC heap (the collector never scans flows).</summary>
internal sealed unsafe class NativeBlock : IDisposable
{
    private const int Alignment = 64;
    private void* _raw;

    /// <summary>Allocates <paramref name="bytes"/>; zeroed pages come from the OS lazily, so untouched memory costs nothing.</summary>
    public NativeBlock(nuint bytes, bool zeroed)
    {
        nuint total = bytes + Alignment;
        _raw = zeroed ? NativeMemory.AllocZeroed(total) : NativeMemory.Alloc(total);
        Pointer = (byte*)(((nuint)_raw + Alignment - 1) & ~(nuint)(Alignment - 1));
        Length = bytes;
    }

    /// <summary>The aligned start.</summary>
    public byte* Pointer { get; private set; }

    /// <summary>The usable size in bytes.</summary>
    public nuint Length { get; }

    public void Dispose()
    {
        if (_raw != null)
        {
            NativeMemory.Free(_raw);
            _raw = null;
            Pointer = null;
        }

        GC.SuppressFinalize(this);
    }

    ~NativeBlock() => Dispose();
}
