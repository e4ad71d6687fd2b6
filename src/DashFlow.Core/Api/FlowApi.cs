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
    private IFlowChangeObserver? _changeObserver;
    private bool _agingEnabled = true;

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

    /// <summary>Takes a caller-chosen id and moves the serial past it, so no later object reuses it. Caller holds _objectLock.</summary>
    private ulong ReserveObjectId(ulong oid)
    {
        long serial = (long)(oid & 0xFFFF_FFFF_FFFFUL);
        long current;
        while ((current = Volatile.Read(ref _nextSerial)) < serial && Interlocked.CompareExchange(ref _nextSerial, serial, current) != current)
        {
        }

        return oid;
    }

    /// <summary>
    /// The observer told of every entry change in every table, present and future (HA inline sync); null for none. Changes
    /// that race with setting it may be reported or not, so set it before the changes that matter.
    /// </summary>
    public IFlowChangeObserver? ChangeObserver
    {
        get => _changeObserver;
        set
        {
            lock (_objectLock)
            {
                _changeObserver = value;
                foreach (var (id, table) in _tables)
                {
                    table.ObserveChanges(value, id);
                }
            }
        }
    }

    /// <summary>Whether aging sweeps mark entries in every table, present and future (false on an HA standby: D6).</summary>
    public bool AgingEnabled
    {
        get => _agingEnabled;
        set
        {
            lock (_objectLock)
            {
                _agingEnabled = value;
                foreach (var table in _tables.Values)
                {
                    table.AgingEnabled = value;
                }
            }
        }
    }

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
