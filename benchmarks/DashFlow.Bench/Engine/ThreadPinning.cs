using System.Runtime.InteropServices;

namespace DashFlow.Bench.Engine;

/// <summary>
/// Pins the calling thread to the CPU it runs on for the timed phases, as the rte_hash peer is pinned (DPDK's EAL runs
/// it on lcore 0): a thread that migrates between cores mid-phase loses its caches and TLB entries, and on a 2-core
/// machine that happened in some runs and not others. The runtime's other threads stay free to use every core.
/// </summary>
internal static partial class ThreadPinning
{
    private const int MaskWords = 16; // 1,024 CPUs

    /// <summary>Pins the thread; disposing restores its previous affinity. A no-op off Linux or when the calls fail.</summary>
    public static IDisposable PinToCurrentCpu()
    {
        if (!OperatingSystem.IsLinux())
        {
            return Restore.None;
        }

        var previous = new ulong[MaskWords];
        int cpu = SchedGetCpu();
        if (cpu < 0 || cpu >= MaskWords * 64 || SchedGetAffinity(0, MaskWords * sizeof(ulong), previous) != 0)
        {
            return Restore.None;
        }

        var pinned = new ulong[MaskWords];
        pinned[cpu / 64] = 1UL << (cpu % 64);
        return SchedSetAffinity(0, MaskWords * sizeof(ulong), pinned) == 0 ? new Restore(previous) : Restore.None;
    }

    private sealed class Restore(ulong[]? previous) : IDisposable
    {
        public static readonly Restore None = new(null);

        public void Dispose()
        {
            if (previous is not null)
            {
                _ = SchedSetAffinity(0, MaskWords * sizeof(ulong), previous);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "sched_getcpu")]
    private static partial int SchedGetCpu();

    [LibraryImport("libc", EntryPoint = "sched_getaffinity")]
    private static partial int SchedGetAffinity(int pid, nuint size, [Out] ulong[] mask);

    [LibraryImport("libc", EntryPoint = "sched_setaffinity")]
    private static partial int SchedSetAffinity(int pid, nuint size, ulong[] mask);
}
