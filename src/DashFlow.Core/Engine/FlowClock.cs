namespace DashFlow.Engine;

/// <summary>
/// The aging clock of a flow table, in milliseconds: wall time (monotonic) for a live agent, or a manual clock driven by
/// packet timestamps (replay) or by tests. A manual clock never goes backwards: a capture whose time steps back slightly
/// keeps the latest time seen, so idle times are never negative.
/// </summary>
public sealed class FlowClock
{
    private readonly bool _manual;
    private readonly long _origin;
    private long _manualNowMs;

    private FlowClock(bool manual, long startMs)
    {
        _manual = manual;
        _origin = Environment.TickCount64;
        _manualNowMs = startMs;
    }

    /// <summary>A clock that follows the machine's monotonic millisecond tick.</summary>
    public static FlowClock Wall() => new(false, 0);

    /// <summary>A clock that moves only when <see cref="Advance"/> or <see cref="AdvanceTo"/> is called.</summary>
    public static FlowClock Manual(long startMs = 0) => new(true, startMs);

    /// <summary>True for a manual (packet or test) clock.</summary>
    public bool IsManual => _manual;

    /// <summary>The current time in milliseconds.</summary>
    public long NowMs => _manual ? Volatile.Read(ref _manualNowMs) : Environment.TickCount64 - _origin;

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
