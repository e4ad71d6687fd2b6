using DashFlow.Api;
using DashFlow.Model;
using DashFlow.Sessions;

namespace DashFlow.Dataplane.Apps.NatGateway;

/// <summary>
/// The deck's aging read: one bulk get session per pass on the gateway's table with the filters AGED == 1 and VNET_ID ==
/// the outside VNET (each pair's internet-side entry stands for it, so half the events), keys only
/// (EVENT_WITHOUT_FLOW_STATE: the key says which pair and which port), collected into a reused array.
/// </summary>
/// <remarks>
/// Events arrive on the switch's notification thread; the keys are handed to the pipeline thread only after FINISHED, so
/// the port pools stay single-threaded. <see cref="_sync"/> guards the session id, the key buffer and the finished flag.
/// </remarks>
internal sealed class AgedFlowCollector : IDisposable
{
    private readonly FlowApi _api;
    private readonly FlowTableId _table;
    private readonly BulkGetSessionFilterId _agedFilter;
    private readonly BulkGetSessionFilterId _outsideFilter;
    private readonly Lock _sync = new();
    private readonly ManualResetEventSlim _finished = new(false);
    private BulkGetSessionId _session;
    private FlowKey[] _keys = new FlowKey[1024];
    private int _count;

    public AgedFlowCollector(FlowApi api, FlowTableId table, ushort outsideVnetId)
    {
        _api = api;
        _table = table;
        var status = api.CreateFlowEntryBulkGetSessionFilter(out _agedFilter, new BulkGetFilter(BulkGetFilterKey.Aged, BulkGetFilterOp.EqualTo, 1));
        if (status == SaiStatus.Success)
        {
            status = api.CreateFlowEntryBulkGetSessionFilter(out _outsideFilter, new BulkGetFilter(BulkGetFilterKey.VnetId, BulkGetFilterOp.EqualTo, outsideVnetId));
        }

        if (status != SaiStatus.Success)
        {
            api.RemoveFlowEntryBulkGetSessionFilter(_agedFilter);
            throw new InvalidOperationException($"nat-gateway: cannot create the aging filters ({status.Describe()}).");
        }
    }

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
            var status = _api.CreateFlowEntryBulkGetSession(out var id,
            [
                SaiAttribute.S32(BulkGetSessionAttr.Mode, (int)BulkGetSessionMode.EventWithoutFlowState),
                SaiAttribute.Oid(BulkGetSessionAttr.FirstFilterId, _agedFilter.Value),
                SaiAttribute.Oid(BulkGetSessionAttr.FirstFilterId + 1, _outsideFilter.Value),
                SaiAttribute.Oid(BulkGetSessionAttr.FlowTable, _table.Value),
            ]);
            if (status != SaiStatus.Success)
            {
                return false;
            }

            _session = id;
            return true;
        }
    }

    /// <summary>Waits until the running session delivered FINISHED; false on timeout.</summary>
    public bool WaitFinished(TimeSpan timeout) => _finished.Wait(timeout);

    /// <summary>True when the running session has delivered FINISHED.</summary>
    public bool IsFinished => _finished.IsSet;

    /// <summary>The keys of a finished session (valid until the next <see cref="TryStart"/>); ends the session.</summary>
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
            return _keys.AsSpan(0, _count);
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
        _api.RemoveFlowEntryBulkGetSessionFilter(_outsideFilter);
        _finished.Dispose();
    }
}
