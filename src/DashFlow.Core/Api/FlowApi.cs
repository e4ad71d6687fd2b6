using System.Collections.Concurrent;
using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Api;

/// <summary>
/// The DASH Flow API of one switch/device, mirroring <c>sai_dash_flow_api_t</c>: flow tables and flow entries with their
/// bulk forms (and, from the bulk-get work, filters and sessions), plus the switch's capability attributes. Every call
/// answers with a SAI status; invalid input never throws.
/// </summary>
public sealed partial class FlowApi : IDisposable
{
    private readonly ConcurrentDictionary<ulong, FlowTable> _tables = new();
    private readonly Lock _objectLock = new();
    private long _nextSerial;
    private long _reservedEntries; // the sum of every table's MAX_FLOW_COUNT, against MAX_FLOW_ENTRY_COUNT

    /// <summary>Creates a device with the given options (everything supported by default).</summary>
    public FlowApi(FlowApiOptions? options = null)
    {
        Options = options ?? new FlowApiOptions();
    }

    /// <summary>The options this device was created with.</summary>
    public FlowApiOptions Options { get; }

    /// <summary>The device's capabilities.</summary>
    public FlowCapabilities Capabilities => Options.Capabilities;

    /// <summary>The aging clock of every table.</summary>
    public FlowClock Clock => Options.Clock;

    /// <summary>The ids of every flow table.</summary>
    public IReadOnlyList<FlowTableId> FlowTableIds => [.. _tables.Keys.Order().Select(k => new FlowTableId(k))];

    /// <summary>The engine behind a table, for the data plane's lookups and the slow path's fast calls.</summary>
    public bool TryGetTable(FlowTableId id, out FlowTable table) => _tables.TryGetValue(id.Value, out table!);

    /// <summary>Cancels every bulk get session (each raises its FINISHED), then frees every table. A table whose scan
    /// did not end within the wait is left to the finalizer-free leak rather than freed under a running scan.</summary>
    public void Dispose()
    {
        StopSessions(TimeSpan.FromSeconds(10));
        lock (_objectLock)
        {
            foreach (var (id, table) in _tables)
            {
                if (!IsTableInUseBySession(new FlowTableId(id)))
                {
                    table.Dispose();
                }
            }

            _tables.Clear();
        }
    }

    private ulong NewObjectId(FlowObjectType type) => ObjectIds.Make(type, (ulong)Interlocked.Increment(ref _nextSerial));

    /// <summary>Resolves a table id: INVALID_OBJECT_TYPE for another kind of id, ITEM_NOT_FOUND for an unknown one.</summary>
    private SaiStatus ResolveTable(FlowTableId id, out FlowTable table)
    {
        table = null!;
        if (id.Value == 0)
        {
            return SaiStatus.InvalidParameter;
        }

        if (ObjectIds.TypeOf(id.Value) != FlowObjectType.FlowTable)
        {
            return SaiStatus.InvalidObjectType;
        }

        return _tables.TryGetValue(id.Value, out table!) ? SaiStatus.Success : SaiStatus.ItemNotFound;
    }
}
