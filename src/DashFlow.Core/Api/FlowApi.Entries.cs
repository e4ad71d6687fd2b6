using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Api;

// Flow entries: create/remove/set/get_flow_entry(_attribute), create/remove_flow_entries, and typed forms for apps.
public sealed partial class FlowApi
{
    /// <summary>create_flow_entry: every attribute is validated; the first bad one is named by its index.</summary>
    public SaiStatus CreateFlowEntry(in FlowEntryAddress entry, ReadOnlySpan<SaiAttribute> attributes)
    {
        if (!Capabilities.FlowCreate)
        {
            return SaiStatus.NotSupported;
        }

        var status = ResolveEntry(in entry, out var table);
        if (status != SaiStatus.Success)
        {
            return status;
        }

        var draft = FlowEntryDraft.Empty();
        for (int i = 0; i < attributes.Length; i++)
        {
            if (IsDuplicate(attributes, i))
            {
                return SaiStatuses.InvalidAttribute(i);
            }

            status = draft.Apply(in attributes[i], i, Capabilities);
            if (status != SaiStatus.Success)
            {
                return status;
            }
        }

        status = draft.CheckFamilies();
        if (status == SaiStatus.Success)
        {
            status = draft.CheckFlowDataKey(table, entry.Key);
        }

        if (status != SaiStatus.Success)
        {
            return status;
        }

        var state = draft.ToState();
        return table.Create(entry.Key, in state, draft.VendorMetadata);
    }

    /// <summary>The typed form of create_flow_entry for slow-path applications: the same checks on a state value.</summary>
    public SaiStatus CreateFlowEntry(in FlowEntryAddress entry, in FlowState state, ReadOnlySpan<byte> vendorMetadata = default)
    {
        var status = CheckCreate(in entry, in state, out var table);
        return status != SaiStatus.Success ? status : table!.Create(entry.Key, in state, vendorMetadata);
    }

    /// <summary>Everything a typed create checks before the engine: the capability, the table, the key, the state.</summary>
    private SaiStatus CheckCreate(in FlowEntryAddress entry, in FlowState state, out FlowTable? table)
    {
        table = null;
        if (!Capabilities.FlowCreate)
        {
            return SaiStatus.NotSupported;
        }

        var status = ResolveEntry(in entry, out var resolved);
        if (status != SaiStatus.Success)
        {
            return status;
        }

        table = resolved;
        return FlowEntryDraft.ValidateState(in state, Capabilities);
    }

    /// <summary>remove_flow_entry: a linked pair goes together (D5).</summary>
    public SaiStatus RemoveFlowEntry(in FlowEntryAddress entry)
    {
        if (!Capabilities.FlowRemove)
        {
            return SaiStatus.NotSupported;
        }

        var status = ResolveEntry(in entry, out var table);
        return status != SaiStatus.Success ? status : table.Remove(entry.Key);
    }

    /// <summary>set_flow_entry_attribute: one attribute, applied atomically.</summary>
    public SaiStatus SetFlowEntryAttribute(in FlowEntryAddress entry, in SaiAttribute attribute)
    {
        if (!Capabilities.FlowSet)
        {
            return SaiStatus.NotSupported;
        }

        var status = ResolveEntry(in entry, out var table);
        if (status != SaiStatus.Success)
        {
            return status;
        }

        var mutator = new AttributeMutator(attribute, Capabilities, table, entry.Key);
        return table.Update(entry.Key, ref mutator);
    }

    /// <summary>get_flow_entry_attribute: fills each requested attribute's value.</summary>
    public SaiStatus GetFlowEntryAttribute(in FlowEntryAddress entry, Span<SaiAttribute> attributes)
    {
        if (!Capabilities.FlowGet)
        {
            return SaiStatus.NotSupported;
        }

        var status = ResolveEntry(in entry, out var table);
        if (status != SaiStatus.Success)
        {
            return status;
        }

        status = table.Get(entry.Key, out var state, out var vendorMetadata);
        if (status != SaiStatus.Success)
        {
            return status;
        }

        var key = table.MaskKey(entry.Key);
        for (int i = 0; i < attributes.Length; i++)
        {
            status = FlowEntryDraft.Read(in key, in state, vendorMetadata, attributes[i].Id, i, out var value);
            if (status != SaiStatus.Success)
            {
                return status;
            }

            attributes[i] = attributes[i] with { Value = value };
        }

        return SaiStatus.Success;
    }

    /// <summary>The typed form of get: the complete state and vendor metadata.</summary>
    public SaiStatus GetFlowEntry(in FlowEntryAddress entry, out FlowState state, out byte[] vendorMetadata)
    {
        state = default;
        vendorMetadata = [];
        if (!Capabilities.FlowGet)
        {
            return SaiStatus.NotSupported;
        }

        var status = ResolveEntry(in entry, out var table);
        return status != SaiStatus.Success ? status : table.Get(entry.Key, out state, out vendorMetadata);
    }

    /// <summary>create_flow_entries: one status per entry; STOP_ON_ERROR leaves the rest NOT_EXECUTED.</summary>
    public SaiStatus CreateFlowEntries(ReadOnlySpan<FlowEntryAddress> entries, ReadOnlySpan<SaiAttribute[]> attributeLists, BulkErrorMode mode, Span<SaiStatus> statuses)
    {
        if (attributeLists.Length != entries.Length)
        {
            return SaiStatus.InvalidParameter;
        }

        var step = new CreateEntryStep(this, entries.ToArray(), attributeLists.ToArray());
        return BulkExecution.Run(entries.Length, mode, statuses, ref step);
    }

    /// <summary>
    /// The typed bulk create for slow-path applications (a connection's forward and reverse in one call). Under
    /// IGNORE_ERROR, runs of valid entries of one table go to the engine in groups (<see cref="FlowTable.CreateBatch"/>:
    /// one lock per group, buckets prefetched), each with exactly the status a single create would give.
    /// </summary>
    public SaiStatus CreateFlowEntries(ReadOnlySpan<FlowEntryAddress> entries, ReadOnlySpan<FlowState> states, BulkErrorMode mode, Span<SaiStatus> statuses)
    {
        if (states.Length != entries.Length)
        {
            return SaiStatus.InvalidParameter;
        }

        if (mode != BulkErrorMode.IgnoreError || statuses.Length < entries.Length)
        {
            var step = new CreateTypedEntryStep(this, entries, states); // spans, not copies: a connection's pair allocates nothing
            return BulkExecution.Run(entries.Length, mode, statuses, ref step);
        }

        var keys = t_typedKeys ?? new FlowKey[TypedGroup];
        t_typedKeys = null; // taken: a re-entrant call gets its own
        try
        {
            bool failed = false;
            FlowTable? groupTable = null;
            int groupStart = 0, pending = 0;
            for (int i = 0; i < entries.Length; i++)
            {
                var status = CheckCreate(in entries[i], in states[i], out var table);
                if (status != SaiStatus.Success)
                {
                    CreateGroup(groupTable, keys, states, groupStart, ref pending, statuses); // a group spans consecutive entries only
                    statuses[i] = status;
                    failed = true;
                    continue;
                }

                if (pending > 0 && (!ReferenceEquals(table, groupTable) || pending == TypedGroup))
                {
                    failed |= CreateGroup(groupTable, keys, states, groupStart, ref pending, statuses);
                }

                if (pending == 0)
                {
                    groupTable = table;
                    groupStart = i;
                }

                keys[pending++] = entries[i].Key;
            }

            failed |= CreateGroup(groupTable, keys, states, groupStart, ref pending, statuses);
            return failed ? SaiStatus.Failure : SaiStatus.Success;
        }
        finally
        {
            t_typedKeys = keys;
        }
    }

    private const int TypedGroup = 64;

    private static readonly byte[][] NoVendorMetadata = Enumerable.Repeat(Array.Empty<byte>(), TypedGroup).ToArray();

    [ThreadStatic]
    private static FlowKey[]? t_typedKeys;

    /// <summary>Creates the pending group (entries groupStart.. of one table); true when any of them failed.</summary>
    private static bool CreateGroup(FlowTable? table, FlowKey[] keys, ReadOnlySpan<FlowState> states, int groupStart, ref int pending, Span<SaiStatus> statuses)
    {
        if (pending == 0 || table is null)
        {
            return false;
        }

        int n = pending;
        pending = 0;
        var results = statuses.Slice(groupStart, n);
        table.CreateBatch(keys.AsSpan(0, n), states.Slice(groupStart, n), NoVendorMetadata.AsSpan(0, n), stopOnError: false, results);
        return results.ContainsAnyExcept(SaiStatus.Success);
    }

    /// <summary>remove_flow_entries.</summary>
    public SaiStatus RemoveFlowEntries(ReadOnlySpan<FlowEntryAddress> entries, BulkErrorMode mode, Span<SaiStatus> statuses)
    {
        var step = new RemoveEntryStep(this, entries.ToArray());
        return BulkExecution.Run(entries.Length, mode, statuses, ref step);
    }

    private SaiStatus ResolveEntry(in FlowEntryAddress entry, out FlowTable table)
    {
        var status = ResolveTable(entry.Table, out table);
        if (status != SaiStatus.Success)
        {
            return status;
        }

        return entry.Key.HasConsistentFamily ? SaiStatus.Success : SaiStatus.InvalidParameter;
    }

    private readonly struct CreateEntryStep(FlowApi api, FlowEntryAddress[] entries, SaiAttribute[][] lists) : IBulkStep
    {
        public SaiStatus Execute(int index) => api.CreateFlowEntry(in entries[index], lists[index] ?? []);
    }

    private readonly ref struct CreateTypedEntryStep(FlowApi api, ReadOnlySpan<FlowEntryAddress> entries, ReadOnlySpan<FlowState> states) : IBulkStep
    {
        private readonly ReadOnlySpan<FlowEntryAddress> _entries = entries;
        private readonly ReadOnlySpan<FlowState> _states = states;

        public SaiStatus Execute(int index) => api.CreateFlowEntry(in _entries[index], in _states[index]);
    }

    private readonly struct RemoveEntryStep(FlowApi api, FlowEntryAddress[] entries) : IBulkStep
    {
        public SaiStatus Execute(int index) => api.RemoveFlowEntry(in entries[index]);
    }

    /// <summary>Applies one attribute to an entry's current state under the table's writer lock.</summary>
    private struct AttributeMutator(SaiAttribute attribute, FlowCapabilities capabilities, FlowTable table, FlowKey key) : IFlowEntryMutator
    {
        private byte[]? _vendorMetadata;

        public bool ReplacesVendorMetadata { get; private set; }

        public readonly ReadOnlySpan<byte> VendorMetadata => _vendorMetadata;

        public SaiStatus Mutate(ref FlowState state)
        {
            var draft = FlowEntryDraft.From(in state, null);
            var status = draft.Apply(in attribute, 0, capabilities);
            if (status == SaiStatus.Success)
            {
                status = draft.CheckFamilies();
            }

            if (status == SaiStatus.Success)
            {
                status = draft.CheckFlowDataKey(table, in key);
            }

            if (status != SaiStatus.Success)
            {
                return status;
            }

            bool wasSynced = state.SyncState == FlowSyncState.FlowSynced;
            state = draft.ToState();
            if (wasSynced && attribute.Id != FlowEntryAttr.DashFlowSyncState)
            {
                state.SyncState = FlowSyncState.FlowCreated; // HA-API §4.5: an updated flow is CREATED again until the peer acks it
            }

            ReplacesVendorMetadata = draft.VendorMetadataSet;
            _vendorMetadata = draft.VendorMetadata;
            return SaiStatus.Success;
        }
    }
}
