namespace DashFlow.Dataplane.Traffic;

/// <summary>
/// splitmix64: small, fast and the same on every runtime (System.Random's sequence is not a contract). The peers' bench.c
/// draws its keys with it too, so the benchmarks reproduce their key set.
/// </summary>
public struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    /// <summary>The next 64-bit draw.</summary>
    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A draw in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A draw in [0, <paramref name="n"/>).</summary>
    public int Below(int n) => (int)((Next() >> 32) * (ulong)n >> 32);
}
