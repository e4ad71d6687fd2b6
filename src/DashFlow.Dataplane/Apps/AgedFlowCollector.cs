using DashFlow.Api;
using DashFlow.Engine;
using DashFlow.Model;
using DashFlow.Sessions;

namespace DashFlow.Dataplane.Apps;

/// <summary>
/// Finds a table's aged entries the way a DPAPP does (DECK p30, spec §4.4), for every app that removes flows it created
/// (observe, nat-gateway): one bulk get session per pass in EVENT_WITHOUT_FLOW_STATE mode (keys only) with the filter
/// AGED == 1, and optionally VNET_ID == one VNET (the NAT gateway's outside VNET: each pair's internet-side entry stands
/// for it, so half the events), collected into a reused array. The caller removes what <see cref="TakeFinished"/> returns.
/// </summary>
/// <remarks>
/// The AGED filter also matches an entry merely idle past the TTL while its partner is active (a one-way flow); the sweep
/// marks a pair only when both directions are idle (D6). So <see cref="TakeFinished"/> returns only the keys
/// <see cref="FlowTable.IsMarkedAged"/> still holds: the one place that rule lives.
/// Events arrive on the switch's notification thread; the keys are handed to the app's thread only after FINISHED, so
/// the app's state stays single-threaded. <see cref="_sync"/> guards the session id, the key buffer and the finished flag.
/// The owner registers the device's bulk-get callback (or forwards events) to <see cref="OnEvents"/>.
/// </remarks>
internal sealed class AgedFlowCollector : IDisposable
{
    private readonly FlowApi _api;
    private readonly FlowTableId _table;
    private readonly FlowTable _engine;
    private readonly BulkGetSessionFilterId _agedFilter;
    private readonly BulkGetSessionFilterId _vnetFilter; // 0 when every VNET is read
    private readonly Lock _sync = new();
    private readonly ManualResetEventSlim _finished = new(false);
    private BulkGetSessionId _session;
    private FlowKey[] _keys = new FlowKey[1024];
    private int _count;

    /// <summary>Creates the AGED filter (and the VNET filter when <paramref name="vnetId"/> is set) for <paramref name="table"/>.</summary>
    /// <exception cref="ArgumentException">The table does not exist.</exception>
    /// <exception cref="InvalidOperationException">The device refuses the filters (bulk get sessions not supported).</exception>
    public AgedFlowCollector(FlowApi api, FlowTableId table, ushort? vnetId = null)
    {
        _api = api;
        _table = table;
        if (!api.TryGetTable(table, out _engine))
        {
            throw new ArgumentException($"aging: flow table {table} does not exist.", nameof(table));
        }

        var status = api.CreateFlowEntryBulkGetSessionFilter(out _agedFilter, new BulkGetFilter(BulkGetFilterKey.Aged, BulkGetFilterOp.EqualTo, 1));
        if (status == SaiStatus.Success && vnetId is { } vnet)
        {
            status = api.CreateFlowEntryBulkGetSessionFilter(out _vnetFilter, new BulkGetFilter(BulkGetFilterKey.VnetId, BulkGetFilterOp.EqualTo, vnet));
        }

        if (status != SaiStatus.Success)
        {
            api.RemoveFlowEntryBulkGetSessionFilter(_agedFilter);
            throw new InvalidOperationException($"aging: cannot create the bulk get filters ({status.Describe()}).");
        }
    }

    /// <summary>Sessions started so far.</summary>
    public long SessionsRun { get; private set; }

    /// <summary>True while a session runs or its keys wait to be taken.</summary>
    public bool IsRunning
    {
        get
        {
            lock (_sync)
            {
                return _session.Value != 0;
            }
        }
    }

    /// <summary>Starts a session; false when one is already running or the device refused.</summary>
    public bool TryStart()
    {
        lock (_sync) // the callback takes this lock too, so no event can be read before the id is known
        {
            if (_session.Value != 0)
            {
                return false;
            }

            _finished.Reset();
            _count = 0;
            SaiAttribute[] attributes = _vnetFilter.Value == 0
                ?
                [
                    SaiAttribute.S32(BulkGetSessionAttr.Mode, (int)BulkGetSessionMode.EventWithoutFlowState),
                    SaiAttribute.Oid(BulkGetSessionAttr.FirstFilterId, _agedFilter.Value),
                    SaiAttribute.Oid(BulkGetSessionAttr.FlowTable, _table.Value),
                ]
                :
                [
                    SaiAttribute.S32(BulkGetSessionAttr.Mode, (int)BulkGetSessionMode.EventWithoutFlowState),
                    SaiAttribute.Oid(BulkGetSessionAttr.FirstFilterId, _agedFilter.Value),
                    SaiAttribute.Oid(BulkGetSessionAttr.FirstFilterId + 1, _vnetFilter.Value),
                    SaiAttribute.Oid(BulkGetSessionAttr.FlowTable, _table.Value),
                ];
            if (_api.CreateFlowEntryBulkGetSession(out var id, attributes) != SaiStatus.Success)
            {
                return false;
            }

            _session = id;
            SessionsRun++;
            return true;
        }
    }

    /// <summary>Waits until the running session delivered FINISHED; false on timeout.</summary>
    public bool WaitFinished(TimeSpan timeout) => _finished.Wait(timeout);

    /// <summary>True when the running session has delivered FINISHED.</summary>
    public bool IsFinished => _finished.IsSet;

    /// <summary>The keys of a finished session that the sweep still marks aged (valid until the next <see cref="TryStart"/>);
    /// ends the session.</summary>
    public ReadOnlySpan<FlowKey> TakeFinished()
    {
        lock (_sync)
        {
            if (!_finished.IsSet)
            {
                return [];
            }

            _api.RemoveFlowEntryBulkGetSession(_session); // finished sessions are kept by the device until removed
            _session = default;
            int marked = 0;
            for (int i = 0; i < _count; i++)
            {
                if (_engine.IsMarkedAged(in _keys[i]))
                {
                    _keys[marked++] = _keys[i]; // only pairs the sweep marked: both directions idle
                }
            }

            return _keys.AsSpan(0, marked);
        }
    }

    /// <summary>One blocking pass: starts a session, waits up to <paramref name="timeout"/> for FINISHED and takes its keys;
    /// empty when a session is already running, the device refused, or the wait timed out (the session is then ended).</summary>
    public ReadOnlySpan<FlowKey> Find(TimeSpan timeout)
    {
        if (!TryStart())
        {
            return [];
        }

        if (WaitFinished(timeout))
        {
            return TakeFinished();
        }

        lock (_sync)
        {
            _api.RemoveFlowEntryBulkGetSession(_session);
            _session = default;
            return [];
        }
    }

    /// <summary>The notification callback: keeps the keys of this collector's session, ignores every other session.</summary>
    public void OnEvents(BulkGetSessionId id, ReadOnlySpan<BulkGetSessionEventData> events)
    {
        lock (_sync)
        {
            if (id != _session || _session.Value == 0)
            {
                return;
            }

            foreach (ref readonly var data in events)
            {
                if (data.EventType == BulkGetSessionEvent.FlowEntry)
                {
                    if (_count == _keys.Length)
                    {
                        Array.Resize(ref _keys, _keys.Length * 2); // grows to the largest pass, then stays
                    }

                    _keys[_count++] = data.FlowEntry.Key;
                }
                else
                {
                    _finished.Set();
                }
            }
        }
    }

    public void Dispose()
    {
        lock (_sync)
        {
            if (_session.Value != 0)
            {
                _api.RemoveFlowEntryBulkGetSession(_session);
                _session = default;
            }
        }

        _api.RemoveFlowEntryBulkGetSessionFilter(_agedFilter);
        if (_vnetFilter.Value != 0)
        {
            _api.RemoveFlowEntryBulkGetSessionFilter(_vnetFilter);
        }
        _finished.Dispose();
    }
}
