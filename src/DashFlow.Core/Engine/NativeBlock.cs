using System.Runtime.InteropServices;

namespace DashFlow.Engine;

/// <summary>
/// A block of native memory outside the GC heap (the collector never scans flows). Large blocks are 2 MiB-aligned and, on
/// Linux, advised for transparent huge pages, so random lookups over gigabytes of records do not thrash the TLB.
/// </summary>
internal sealed unsafe partial class NativeBlock : IDisposable
{
    private const nuint CacheLine = 64;
    private const nuint HugePage = 2 * 1024 * 1024;
    private const int MadvHugePage = 14; // MADV_HUGEPAGE

    private void* _raw;

    /// <summary>Allocates <paramref name="bytes"/>, zeroed when asked. A committed block is written once now, so the
    /// operating system maps every page up front and no later write takes a page fault (a flow table is preallocated).</summary>
    public NativeBlock(nuint bytes, bool zeroed, bool commit = false)
    {
        zeroed |= commit;
        Length = bytes;
        if (bytes >= HugePage && OperatingSystem.IsLinux())
        {
            nuint rounded = (bytes + HugePage - 1) & ~(HugePage - 1);
            _raw = NativeMemory.AlignedAlloc(rounded, HugePage);
            _ = Madvise((nint)_raw, rounded, MadvHugePage); // advisory: without THP the block still works
            if (zeroed)
            {
                NativeMemory.Clear(_raw, bytes);
            }

            Pointer = (byte*)_raw;
            IsAligned = true;
            return;
        }

        nuint total = bytes + CacheLine;
        _raw = zeroed ? NativeMemory.AllocZeroed(total) : NativeMemory.Alloc(total);
        Pointer = (byte*)(((nuint)_raw + CacheLine - 1) & ~(CacheLine - 1));
    }

    /// <summary>The cache-line-aligned start.</summary>
    public byte* Pointer { get; private set; }

    /// <summary>The usable size in bytes.</summary>
    public nuint Length { get; }

    private bool IsAligned { get; }

    public void Dispose()
    {
        if (_raw != null)
        {
            if (IsAligned)
            {
                NativeMemory.AlignedFree(_raw);
            }
            else
            {
                NativeMemory.Free(_raw);
            }

            _raw = null;
            Pointer = null;
        }

        GC.SuppressFinalize(this);
    }

    ~NativeBlock() => Dispose();

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
