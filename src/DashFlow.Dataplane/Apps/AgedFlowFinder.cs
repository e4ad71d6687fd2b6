using DashFlow.Api;
using DashFlow.Model;
using DashFlow.Sessions;

namespace DashFlow.Dataplane.Apps;

/// <summary>
/// Finds a table's aged entries the way a DPAPP does (DECK p30, spec §4.4): a bulk get session in EVENT_WITHOUT_FLOW_STATE
/// mode with the AGED filter (D2 key 10), waited for until its FINISHED. The caller removes what it returns.
/// </summary>
/// <remarks>Registers the device's bulk-get notification callback, so one finder serves one <see cref="FlowApi"/>.</remarks>
public sealed class AgedFlowFinder : IDisposable
{
    private readonly FlowApi _api;
    private readonly Lock _gate = new();
    private readonly List<FlowKey> _found = [];
    private readonly ManualResetEventSlim _finished = new();
    private readonly BulkGetSessionFilterId _agedFilter;
    private ulong _activeSession;

    /// <summary>Registers the notification callback and creates the AGED == 1 filter.</summary>
    /// <exception cref="InvalidOperationException">The device refuses the filter (bulk get sessions not supported).</exception>
    public AgedFlowFinder(FlowApi api)
    {
        _api = api;
        var status = api.CreateFlowEntryBulkGetSessionFilter(out _agedFilter, new BulkGetFilter(BulkGetFilterKey.Aged, BulkGetFilterOp.EqualTo, 1));
        if (status != SaiStatus.Success)
        {
            throw new InvalidOperationException($"The AGED filter was refused: {status.Describe()}.");
        }

        api.RegisterBulkGetSessionEventCallback(OnEvents);
    }

    /// <summary>How long one session may take before the finder gives up on it.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Sessions run so far.</summary>
    public long SessionsRun { get; private set; }

    /// <summary>The keys of <paramref name="table"/>'s entries marked aged (or idle past the TTL) now; both keys of a pair.</summary>
    public IReadOnlyList<FlowKey> Find(FlowTableId table)
    {
        BulkGetSessionId id;
        lock (_gate)
        {
            _found.Clear();
            _finished.Reset();
            // Holding the gate while creating: the callback waits for the id, so no event of this session is missed.
            var status = _api.CreateFlowEntryBulkGetSession(out id,
            [
                SaiAttribute.S32(BulkGetSessionAttr.Mode, (int)BulkGetSessionMode.EventWithoutFlowState),
                SaiAttribute.Oid(BulkGetSessionAttr.FirstFilterId, _agedFilter.Value),
                SaiAttribute.Oid(BulkGetSessionAttr.FlowTable, table.Value),
            ]);
            if (status != SaiStatus.Success)
            {
                return [];
            }

            _activeSession = id.Value;
        }

        SessionsRun++;
        bool done = _finished.Wait(Timeout);
        _api.RemoveFlowEntryBulkGetSession(id);
        lock (_gate)
        {
            _activeSession = 0;
            return done ? [.. _found] : [];
        }
    }

    /// <summary>Unregisters the callback and removes the filter.</summary>
    public void Dispose()
    {
        _api.RegisterBulkGetSessionEventCallback(null);
        _api.RemoveFlowEntryBulkGetSessionFilter(_agedFilter);
        _finished.Dispose();
    }

    private void OnEvents(BulkGetSessionId session, ReadOnlySpan<BulkGetSessionEventData> events)
    {
        lock (_gate)
        {
            if (session.Value != _activeSession)
            {
                return;
            }

            foreach (var e in events)
            {
                if (e.EventType == BulkGetSessionEvent.FlowEntry)
                {
                    _found.Add(e.FlowEntry.Key);
                }
                else
                {
                    _finished.Set();
                }
            }
        }
    }
}
