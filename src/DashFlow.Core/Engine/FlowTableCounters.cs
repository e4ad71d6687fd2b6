namespace DashFlow.Engine;

/// <summary>A point-in-time copy of a flow table's counters.</summary>
public readonly record struct FlowTableCounters(
    long Created,
    long CreateFailed,
    long Removed,
    long Aged,
    long TableFull,
    long Updated,
    long Reclaimed);

/// <summary>The live counters, written only under the table's writer lock and read with volatile reads.</summary>
internal sealed class FlowTableCounterSet
{
    public long Created;
    public long CreateFailed;
    public long Removed;
    public long Aged;
    public long TableFull;
    public long Updated;
    public long Reclaimed;

    public FlowTableCounters Snapshot() => new(
        Volatile.Read(ref Created),
        Volatile.Read(ref CreateFailed),
        Volatile.Read(ref Removed),
        Volatile.Read(ref Aged),
        Volatile.Read(ref TableFull),
        Volatile.Read(ref Updated),
        Volatile.Read(ref Reclaimed));
}
