using System.Diagnostics;

namespace DashFlow.Ha.Inline;

/// <summary>Ack latencies in 10 µs buckets up to 100 ms (slower ones share the last bucket); percentiles by walking.</summary>
public sealed class LatencyHistogram
{
    private const int BucketMicros = 10;
    private readonly long[] _buckets = new long[10_001];

    /// <summary>Samples recorded.</summary>
    public long Count { get; private set; }

    /// <summary>Records one latency measured from <paramref name="startTicks"/> (Stopwatch ticks) to <paramref name="nowTicks"/>.</summary>
    public void Record(long startTicks, long nowTicks)
    {
        long micros = (nowTicks - startTicks) * 1_000_000 / Stopwatch.Frequency;
        _buckets[Math.Clamp(micros / BucketMicros, 0, _buckets.Length - 1)]++;
        Count++;
    }

    /// <summary>The latency in milliseconds below which <paramref name="quantile"/> of the samples fall (0 when empty).</summary>
    public double Percentile(double quantile)
    {
        long target = (long)Math.Ceiling(Count * quantile);
        long seen = 0;
        for (int i = 0; i < _buckets.Length; i++)
        {
            seen += _buckets[i];
            if (seen >= target && seen > 0)
            {
                return (i + 1) * BucketMicros / 1000.0;
            }
        }

        return 0;
    }

    /// <summary>Forgets every sample.</summary>
    public void Clear()
    {
        Array.Clear(_buckets);
        Count = 0;
    }
}
