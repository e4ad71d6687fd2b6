using System.Collections.Concurrent;
using DashFlow.Engine;
using DashFlow.Model;
using DashFlow.Sessions;

namespace DashFlow.Api;

// Bulk get sessions (D9, D14, D15): create/remove/set/get_flow_entry_bulk_get_session(_attribute), the bulk forms, the
// switch's bulk-get notification, and typed status reads.
public sealed partial class FlowApi
{
    private readonly ConcurrentDictionary<ulong, BulkGetSession> _sessions = new();   // sessions that exist (not removed)
    private readonly ConcurrentDictionary<ulong, BulkGetSession> _activeRuns = new(); // sessions whose scan has not ended
    private readonly ConcurrentDictionary<ulong, BulkGetSession> _unfinished = new(); // sessions whose FINISHED is not queued yet
    private BulkGetEventDispatcher? _dispatcher;
    private BulkGetSessionEventCallback? _eventCallback;
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>
    /// Registers the bulk-get notification (<c>SAI_SWITCH_ATTR_FLOW_BULK_GET_SESSION_EVENT_NOTIFY</c>); null unregisters.
    /// Events of every session arrive through it, in order per session, one call at a time, from a background thread.
    /// </summary>
    public void RegisterBulkGetSessionEventCallback(BulkGetSessionEventCallback? callback)
    {
        lock (_objectLock)
        {
            _eventCallback = callback;
            if (_dispatcher is not null)
            {
                _dispatcher.Callback = callback;
            }
        }
    }

    /// <summary>
    /// create_flow_entry_bulk_get_session. The session starts scanning in the background at once. Refusals:
    /// NOT_SUPPORTED when the BULK_GET_SESSION capability is off, for VENDOR mode, and for GRPC mode when no
    /// <see cref="FlowApiOptions.RecordSinkFactory"/> is configured; MANDATORY_ATTRIBUTE_MISSING for GRPC mode (the
    /// default mode) without a non-zero SERVER_IP and SERVER_PORT; INVALID_ATTR_VALUE_0+n when attribute n names a filter
    /// or table that does not exist (or an id of another type); INSUFFICIENT_RESOURCES past
    /// <see cref="FlowApiOptions.MaxBulkGetSessions"/> running sessions.
    /// </summary>
    public SaiStatus CreateFlowEntryBulkGetSession(out BulkGetSessionId id, ReadOnlySpan<SaiAttribute> attributes)
    {
        id = BulkGetSessionId.Null;
        if (!Capabilities.BulkGetSession)
        {
            return SaiStatus.NotSupported;
        }

        lock (_objectLock)
        {
            var config = new BulkGetSessionConfig();
            for (int i = 0; i < attributes.Length; i++)
            {
                if (IsDuplicate(attributes, i))
                {
                    return SaiStatuses.InvalidAttribute(i);
                }

                var status = ApplySessionAttribute(ref config, in attributes[i], i);
                if (status != SaiStatus.Success)
                {
                    return status;
                }
            }

            if (config.Mode == BulkGetSessionMode.Vendor)
            {
                return SaiStatus.NotSupported;
            }

            if (config.Mode == BulkGetSessionMode.Grpc)
            {
                if (config.ServerIp.IsZero || config.ServerPort == 0)
                {
                    return SaiStatus.MandatoryAttributeMissing;
                }

                if (Options.RecordSinkFactory is null)
                {
                    return SaiStatus.NotSupported;
                }
            }

            if (_stopping.IsCancellationRequested)
            {
                return SaiStatus.Uninitialized;
            }

            if (_activeRuns.Count >= Options.MaxBulkGetSessions)
            {
                return SaiStatus.InsufficientResources;
            }

            var filters = new List<BulkGetFilter>(BulkGetSessionConfig.MaxFilters);
            foreach (ulong filterId in config.FilterIds)
            {
                if (filterId != 0)
                {
                    filters.Add(_filters[filterId]);
                }
            }

            var predicate = filters.Count == 0 ? FlowFilterPredicate.All : FlowFilterPredicate.Compile(filters.ToArray());
            var scope = new List<(FlowTableId Id, FlowTable Table)>();
            foreach (ulong tableId in _tables.Keys.Order())
            {
                if ((config.FlowTable == 0 || config.FlowTable == tableId) && predicate.AllowsTable(tableId))
                {
                    scope.Add((new FlowTableId(tableId), _tables[tableId]));
                }
            }

            ulong oid = NewObjectId(FlowObjectType.BulkGetSession);
            var session = new BulkGetSession(new BulkGetSessionId(oid), config, [.. scope.Select(s => s.Id)]);
            var context = new BulkGetRunContext(EnsureDispatcher(), Options.RecordSinkFactory, Math.Max(1, Options.BulkGetSliceRecords),
                Math.Max(1, Options.BulkGetRecordBatchSize), _stopping.Token);
            var runner = new BulkGetSessionRunner(session, [.. scope], predicate, context,
                s => _activeRuns.TryRemove(s.Id.Value, out _), s => _unfinished.TryRemove(s.Id.Value, out _));
            _sessions[oid] = session;
            _activeRuns[oid] = session;
            _unfinished[oid] = session;
            _ = Task.Run(runner.RunAsync);
            id = session.Id;
            return SaiStatus.Success;
        }
    }

    /// <summary>
    /// remove_flow_entry_bulk_get_session: the session is gone at once; a running scan is cancelled and raises its
    /// FINISHED (cancelled) shortly after (D15).
    /// </summary>
    public SaiStatus RemoveFlowEntryBulkGetSession(BulkGetSessionId id)
    {
        lock (_objectLock)
        {
            var status = ResolveSession(id, out var session);
            if (status != SaiStatus.Success)
            {
                return status;
            }

            _sessions.TryRemove(id.Value, out _);
            session.Cancellation.Cancel();
            return SaiStatus.Success;
        }
    }

    /// <summary>set_flow_entry_bulk_get_session_attribute. D14: OBJECT_IN_USE while the session runs; once finished the
    /// value is validated and stored, with no effect.</summary>
    public SaiStatus SetFlowEntryBulkGetSessionAttribute(BulkGetSessionId id, in SaiAttribute attribute)
    {
        lock (_objectLock)
        {
            var status = ResolveSession(id, out var session);
            if (status != SaiStatus.Success)
            {
                return status;
            }

            if (session.IsLive)
            {
                return SaiStatus.ObjectInUse;
            }

            var config = session.Config with { FilterIds = (ulong[])session.Config.FilterIds.Clone() };
            status = ApplySessionAttribute(ref config, in attribute, 0);
            if (status == SaiStatus.Success)
            {
                session.Config = config;
            }

            return status;
        }
    }

    /// <summary>get_flow_entry_bulk_get_session_attribute: the ten SAI attributes and the read-only status extensions of
    /// <see cref="BulkGetSessionAttr"/>.</summary>
    public SaiStatus GetFlowEntryBulkGetSessionAttribute(BulkGetSessionId id, Span<SaiAttribute> attributes)
    {
        var status = ResolveSession(id, out var session);
        if (status != SaiStatus.Success)
        {
            return status;
        }

        var config = session.Config;
        var progress = session.Status;
        for (int i = 0; i < attributes.Length; i++)
        {
            uint attr = attributes[i].Id;
            SaiAttributeValue value = attr switch
            {
                BulkGetSessionAttr.Mode => SaiAttributeValue.FromS32((int)config.Mode),
                BulkGetSessionAttr.EntryLimitation => SaiAttributeValue.FromU32(config.EntryLimit),
                BulkGetSessionAttr.ServerIp => SaiAttributeValue.FromIp(config.ServerIp),
                BulkGetSessionAttr.ServerPort => SaiAttributeValue.FromU32(config.ServerPort),
                >= BulkGetSessionAttr.FirstFilterId and <= BulkGetSessionAttr.FifthFilterId =>
                    SaiAttributeValue.FromOid(config.FilterIds[attr - BulkGetSessionAttr.FirstFilterId]),
                BulkGetSessionAttr.FlowTable => SaiAttributeValue.FromOid(config.FlowTable),
                BulkGetSessionAttr.State => SaiAttributeValue.FromS32((int)progress.State),
                BulkGetSessionAttr.EntriesDelivered => SaiAttributeValue.FromU64((ulong)progress.EntriesDelivered),
                BulkGetSessionAttr.RecordsScanned => SaiAttributeValue.FromU64((ulong)progress.RecordsScanned),
                BulkGetSessionAttr.CreationTimeMs => SaiAttributeValue.FromU64((ulong)progress.CreationTimeMs),
                BulkGetSessionAttr.LastStateStartTimeMs => SaiAttributeValue.FromU64((ulong)progress.LastStateStartTimeMs),
                _ => default,
            };
            if (value.Kind == SaiValueKind.None)
            {
                return SaiStatuses.UnknownAttribute(i);
            }

            attributes[i] = attributes[i] with { Value = value };
        }

        return SaiStatus.Success;
    }

    /// <summary>The typed status read: state, counts and times.</summary>
    public SaiStatus GetBulkGetSessionStatus(BulkGetSessionId id, out BulkGetSessionStatus status)
    {
        status = default;
        var result = ResolveSession(id, out var session);
        if (result == SaiStatus.Success)
        {
            status = session.Status;
        }

        return result;
    }

    /// <summary>Waits until the session has finished and queued its FINISHED event; null for an unknown session.</summary>
    public Task<BulkGetSessionStatus>? WhenBulkGetSessionFinished(BulkGetSessionId id) =>
        ResolveSession(id, out var session) == SaiStatus.Success ? session.Completion : null;

    /// <summary>create_flow_entry_bulk_get_sessions (the generic OID bulk create).</summary>
    public SaiStatus CreateFlowEntryBulkGetSessions(ReadOnlySpan<SaiAttribute[]> attributeLists, BulkErrorMode mode, Span<BulkGetSessionId> ids, Span<SaiStatus> statuses)
    {
        if (ids.Length < attributeLists.Length)
        {
            return SaiStatus.InvalidParameter;
        }

        var step = new CreateSessionStep(this, attributeLists.ToArray(), new BulkGetSessionId[attributeLists.Length]);
        var result = BulkExecution.Run(attributeLists.Length, mode, statuses, ref step);
        step.Ids.CopyTo(ids);
        return result;
    }

    /// <summary>remove_flow_entry_bulk_get_sessions (the generic OID bulk remove).</summary>
    public SaiStatus RemoveFlowEntryBulkGetSessions(ReadOnlySpan<BulkGetSessionId> ids, BulkErrorMode mode, Span<SaiStatus> statuses)
    {
        var step = new RemoveSessionStep(this, ids.ToArray());
        return BulkExecution.Run(ids.Length, mode, statuses, ref step);
    }

    /// <summary>True while a session's scan reads the table (removed sessions count until their scan has ended).</summary>
    private bool IsTableInUseBySession(FlowTableId id)
    {
        foreach (var session in _activeRuns.Values)
        {
            if (session.Scans(id))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Cancels every session and waits (bounded) for their scans to end and their FINISHED to be delivered.</summary>
    private void StopSessions(TimeSpan timeout)
    {
        BulkGetEventDispatcher? dispatcher;
        lock (_objectLock)
        {
            foreach (var session in _unfinished.Values)
            {
                session.Cancellation.Cancel();
            }

            dispatcher = _dispatcher;
        }

        var runs = _unfinished.Values.Select(s => (Task)s.Completion).ToArray();
        Task.WaitAll(runs, timeout);
        _stopping.Cancel();
        if (dispatcher is not null)
        {
            dispatcher.Complete();
            dispatcher.Completion.Wait(timeout);
        }
    }

    private BulkGetEventDispatcher EnsureDispatcher() =>
        _dispatcher ??= new BulkGetEventDispatcher(Options.BulkGetEventQueueCapacity, Options.BulkGetEventIncludesFlowDataPb) { Callback = _eventCallback };

    private SaiStatus ApplySessionAttribute(ref BulkGetSessionConfig config, in SaiAttribute attribute, int index)
    {
        var v = attribute.Value;
        SaiStatus bad = SaiStatuses.InvalidAttrValue(index);
        uint attr = attribute.Id;
        switch (attr)
        {
            case BulkGetSessionAttr.Mode:
                if (v.Kind != SaiValueKind.S32 || v.AsS32 < (int)BulkGetSessionMode.Grpc || v.AsS32 > (int)BulkGetSessionMode.EventWithoutFlowState)
                {
                    return bad;
                }

                config = config with { Mode = (BulkGetSessionMode)v.AsS32 };
                return SaiStatus.Success;
            case BulkGetSessionAttr.EntryLimitation:
                if (v.Kind != SaiValueKind.U32)
                {
                    return bad;
                }

                config = config with { EntryLimit = v.AsU32 };
                return SaiStatus.Success;
            case BulkGetSessionAttr.ServerIp:
                if (v.Kind != SaiValueKind.Ip)
                {
                    return bad;
                }

                config = config with { ServerIp = v.AsIp };
                return SaiStatus.Success;
            case BulkGetSessionAttr.ServerPort:
                if (v.Kind != SaiValueKind.U32 || v.Scalar > ushort.MaxValue)
                {
                    return bad;
                }

                config = config with { ServerPort = (ushort)v.AsU32 };
                return SaiStatus.Success;
            case >= BulkGetSessionAttr.FirstFilterId and <= BulkGetSessionAttr.FifthFilterId:
                if (v.Kind != SaiValueKind.Oid || (v.AsOid != 0 && ResolveFilter(new BulkGetSessionFilterId(v.AsOid), out _) != SaiStatus.Success))
                {
                    return bad;
                }

                config.FilterIds[attr - BulkGetSessionAttr.FirstFilterId] = v.AsOid;
                return SaiStatus.Success;
            case BulkGetSessionAttr.FlowTable:
                if (v.Kind != SaiValueKind.Oid || (v.AsOid != 0 && ResolveTable(new FlowTableId(v.AsOid), out _) != SaiStatus.Success))
                {
                    return bad;
                }

                config = config with { FlowTable = v.AsOid };
                return SaiStatus.Success;
            case >= BulkGetSessionAttr.State and < BulkGetSessionAttr.ExtensionEnd:
                return SaiStatuses.InvalidAttribute(index); // READ_ONLY
            default:
                return SaiStatuses.UnknownAttribute(index);
        }
    }

    private SaiStatus ResolveSession(BulkGetSessionId id, out BulkGetSession session)
    {
        session = null!;
        if (id.Value == 0)
        {
            return SaiStatus.InvalidParameter;
        }

        if (ObjectIds.TypeOf(id.Value) != FlowObjectType.BulkGetSession)
        {
            return SaiStatus.InvalidObjectType;
        }

        return _sessions.TryGetValue(id.Value, out session!) ? SaiStatus.Success : SaiStatus.ItemNotFound;
    }

    private readonly struct CreateSessionStep(FlowApi api, SaiAttribute[][] lists, BulkGetSessionId[] ids) : IBulkStep
    {
        public BulkGetSessionId[] Ids => ids;

        public SaiStatus Execute(int index) => api.CreateFlowEntryBulkGetSession(out ids[index], lists[index] ?? []);
    }

    private readonly struct RemoveSessionStep(FlowApi api, BulkGetSessionId[] ids) : IBulkStep
    {
        public SaiStatus Execute(int index) => api.RemoveFlowEntryBulkGetSession(ids[index]);
    }
}

/// <summary><c>SAI_FLOW_ENTRY_BULK_GET_SESSION_ATTR_*</c> ordinals (spec §3.6) and DashFlow's read-only status extensions.</summary>
public static class BulkGetSessionAttr
{
    /// <summary>DASH_FLOW_ENTRY_BULK_GET_SESSION_MODE (<see cref="BulkGetSessionMode"/>, S32; default GRPC).</summary>
    public const uint Mode = 0;

    /// <summary>BULK_GET_ENTRY_LIMITATION (U32; 0 = no limit).</summary>
    public const uint EntryLimitation = 1;

    /// <summary>BULK_GET_SESSION_SERVER_IP.</summary>
    public const uint ServerIp = 2;

    /// <summary>BULK_GET_SESSION_SERVER_PORT (U32, at most 65535).</summary>
    public const uint ServerPort = 3;

    /// <summary>FIRST_FLOW_ENTRY_BULK_GET_SESSION_FILTER_ID (Oid, null allowed); SECOND..FIFTH follow.</summary>
    public const uint FirstFilterId = 4;
    public const uint SecondFilterId = 5;
    public const uint ThirdFilterId = 6;
    public const uint FourthFilterId = 7;
    public const uint FifthFilterId = 8;

    /// <summary>FLOW_TABLE (extension, D2; Oid, null = every table).</summary>
    public const uint FlowTable = 9;

    public const uint End = 10;

    /// <summary>Read-only extension (custom range): the session's <see cref="BulkGetSessionState"/> (S32).</summary>
    public const uint State = 0x1000_0000;

    /// <summary>Read-only extension: entries delivered so far (U64).</summary>
    public const uint EntriesDelivered = State + 1;

    /// <summary>Read-only extension: table records examined so far (U64).</summary>
    public const uint RecordsScanned = State + 2;

    /// <summary>Read-only extension: creation time, Unix ms (U64; SONiC's creation_time_in_ms).</summary>
    public const uint CreationTimeMs = State + 3;

    /// <summary>Read-only extension: when the current state began, Unix ms (U64; SONiC's last_state_start_time_in_ms).</summary>
    public const uint LastStateStartTimeMs = State + 4;

    public const uint ExtensionEnd = State + 5;
}
