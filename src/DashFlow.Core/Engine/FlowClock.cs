namespace DashFlow.Engine;

/// <summary>
/// The aging clock of a flow table, in milliseconds: wall time (monotonic) for a live agent, or a manual clock driven by
/// packet timestamps (replay) or by tests. A manual clock never goes backwards: a capture whose time steps back slightly
/// keeps the latest time seen, so idle times are never negative. The wall clock is coarse: a background ticker refreshes
/// it every millisecond, so a data-plane hit reads a field instead of asking the operating system.
/// </summary>
public sealed class FlowClock
{
    private readonly bool _manual;
    private readonly long _origin;
    private long _manualNowMs;

    private FlowClock(bool manual, long startMs)
    {
        _manual = manual;
        _origin = manual ? 0 : CoarseTicker.NowMs;
        _manualNowMs = startMs;
    }

    /// <summary>A clock that follows the machine's monotonic millisecond tick.</summary>
    public static FlowClock Wall() => new(false, 0);

    /// <summary>A clock that moves only when <see cref="Advance"/> or <see cref="AdvanceTo"/> is called.</summary>
    public static FlowClock Manual(long startMs = 0) => new(true, startMs);

    /// <summary>True for a manual (packet or test) clock.</summary>
    public bool IsManual => _manual;

    /// <summary>The current time in milliseconds.</summary>
    public long NowMs => _manual ? Volatile.Read(ref _manualNowMs) : CoarseTicker.NowMs - _origin;

    /// <summary>Moves a manual clock forward by <paramref name="milliseconds"/> (negative values are ignored).</summary>
    public void Advance(long milliseconds)
    {
        EnsureManual();
        if (milliseconds > 0)
        {
            Interlocked.Add(ref _manualNowMs, milliseconds);
        }
    }

    /// <summary>Moves a manual clock to <paramref name="nowMs"/> if that is later than its current time.</summary>
    public void AdvanceTo(long nowMs)
    {
        EnsureManual();
        long current = Volatile.Read(ref _manualNowMs);
        while (nowMs > current)
        {
            long seen = Interlocked.CompareExchange(ref _manualNowMs, nowMs, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private void EnsureManual()
    {
        if (!_manual)
        {
            throw new InvalidOperationException("Only a manual clock can be moved; a wall clock follows the machine.");
        }
    }
}

/// <summary>The process's coarse millisecond clock: one background thread copies the monotonic tick into a field.</summary>
internal static class CoarseTicker
{
    private static long s_nowMs = Environment.TickCount64;

    static CoarseTicker()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "dashflow-clock" };
        thread.Start();
    }

    /// <summary>The monotonic tick in ms, at most a few ms old.</summary>
    public static long NowMs
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref s_nowMs);
    }

    private static void Run()
    {
        while (true)
        {
            Volatile.Write(ref s_nowMs, Environment.TickCount64);
            Thread.Sleep(1);
        }
    }
}
