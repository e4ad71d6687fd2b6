using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using DashFlow.Api;
using DashFlow.Engine;
using DashFlow.Ha.Inline;
using DashFlow.Model;

namespace DashFlow.Ha.Standby;

/// <summary>
/// Applies the active's sync on the standby: inline creates, updates and deletes, and bulk-sync records, never replacing
/// a held entry with an older version (D7). Every flow it writes is SYNCED. While a bulk sync runs, inline deletes leave
/// tombstones, so a bulk record read before the delete cannot bring the flow back, and an update for a flow the bulk sync
/// has not delivered yet creates it.
/// </summary>
public sealed class StandbyApplier
{
    private readonly FlowApi _api;
    private readonly HaCounters _counters;
    private readonly ConcurrentDictionary<(ulong Table, FlowKey Key), uint> _tombstones = new();
    private volatile bool _bulkSyncing;

    /// <summary>An applier writing into the tables of <paramref name="api"/>.</summary>
    public StandbyApplier(FlowApi api, HaCounters counters)
    {
        _api = api;
        _counters = counters;
    }

    /// <summary>True between the start of a bulk sync and its completion: deletes leave tombstones, updates upsert.</summary>
    public bool BulkSyncing
    {
        get => _bulkSyncing;
        set
        {
            _bulkSyncing = value;
            if (!value)
            {
                _tombstones.Clear();
            }
        }
    }

    /// <summary>Finds the table with the active's id, creating it from <paramref name="spec"/> when missing.</summary>
    public bool EnsureTable(ulong tableId, HaTableSpec spec, out FlowTable table)
    {
        var id = new FlowTableId(tableId);
        if (_api.TryGetTable(id, out table))
        {
            return true;
        }

        var status = _api.CreateFlowTable(id, spec.ToAttributes());
        return (status == SaiStatus.Success || status == SaiStatus.ItemAlreadyExists) && _api.TryGetTable(id, out table);
    }

    /// <summary>Applies one inline request.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public SyncResult ApplyInline(FlowTable table, ulong tableId, SyncOp op, bool timed, in FlowKey key, in FlowState state, byte[] vendorMetadata)
    {
        _counters.Received(timed);
        if (op == SyncOp.Delete)
        {
            if (_bulkSyncing)
            {
                _tombstones[(tableId, table.MaskKey(in key))] = state.Version;
            }

            if (table.Get(in key, out var held, out _) != SaiStatus.Success)
            {
                return SyncResult.Applied; // already gone (the pair's other half removed it)
            }

            if (held.Version > state.Version)
            {
                return SyncResult.IgnoredStaleVersion;
            }

            table.Remove(in key);
            return SyncResult.Applied;
        }

        var synced = state with { SyncState = FlowSyncState.FlowSynced };
        if (_bulkSyncing && !_tombstones.IsEmpty)
        {
            _tombstones.TryRemove((tableId, table.MaskKey(in key)), out _);
        }

        return op == SyncOp.Create || _bulkSyncing
            ? AfterInlineCreate(table, in key, in synced, vendorMetadata, table.Create(in key, in synced, vendorMetadata))
            : ReplaceInline(table, in key, in synced, vendorMetadata);
    }

    /// <summary>
    /// Applies a run of inline CREATE changes in order, each as <see cref="ApplyInline"/> would: the creates go to the
    /// engine in groups (<see cref="FlowTable.CreateBatch"/>), and a change whose flow is already held then replaces it
    /// unless the held version is newer. <paramref name="states"/> are marked SYNCED in place; <paramref name="results"/>
    /// gets one <see cref="SyncResult"/> per change.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ApplyInlineCreates(FlowTable table, ulong tableId, ReadOnlySpan<FlowKey> keys, Span<FlowState> states, ReadOnlySpan<byte[]> vendorMetadata, ReadOnlySpan<bool> timed, Span<byte> results)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (_bulkSyncing)
        {
            for (int i = 0; i < keys.Length; i++)
            {
                results[i] = (byte)ApplyInline(table, tableId, SyncOp.Create, timed[i], in keys[i], in states[i], vendorMetadata[i]); // tombstones
            }

            return;
        }

        const int Group = 32;
        Span<SaiStatus> statuses = stackalloc SaiStatus[Group];
        for (int start = 0; start < keys.Length; start += Group)
        {
            int n = Math.Min(Group, keys.Length - start);
            var groupStates = states.Slice(start, n);
            for (int i = 0; i < n; i++)
            {
                _counters.Received(timed[start + i]);
                groupStates[i].SyncState = FlowSyncState.FlowSynced;
            }

            table.CreateBatch(keys.Slice(start, n), groupStates, vendorMetadata.Slice(start, n), stopOnError: false, statuses);
            for (int i = 0; i < n; i++)
            {
                results[start + i] = (byte)AfterInlineCreate(table, in keys[start + i], in groupStates[i], vendorMetadata[start + i], statuses[i]);
            }
        }
    }

    /// <summary>Settles an inline create: a flow already held is replaced unless the held version is newer.</summary>
    private static SyncResult AfterInlineCreate(FlowTable table, in FlowKey key, in FlowState synced, byte[] vendorMetadata, SaiStatus created) =>
        created == SaiStatus.Success ? SyncResult.Applied
        : created != SaiStatus.ItemAlreadyExists ? SyncResult.Failed
        : ReplaceInline(table, in key, in synced, vendorMetadata);

    /// <summary>An inline change to a held flow: replaced unless the held version is newer.</summary>
    private static SyncResult ReplaceInline(FlowTable table, in FlowKey key, in FlowState synced, byte[] vendorMetadata)
    {
        var replace = new ReplaceIfNewer(synced, vendorMetadata, strictlyNewer: false);
        var status = table.Update(in key, ref replace);
        if (status == SaiStatus.Success)
        {
            return SyncResult.Applied;
        }

        return replace.Stale ? SyncResult.IgnoredStaleVersion
            : status == SaiStatus.ItemNotFound ? SyncResult.IgnoredUnknownFlow
            : SyncResult.Failed;
    }

    /// <summary>Applies one bulk-sync record: inserted when missing, replacing a held entry only of a lower version.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public SyncResult ApplyBulk(FlowTable table, ulong tableId, in FlowKey key, in FlowState state, byte[] vendorMetadata)
    {
        if (_bulkSyncing && !_tombstones.IsEmpty && _tombstones.TryGetValue((tableId, table.MaskKey(in key)), out uint deleted) && deleted >= state.Version)
        {
            return SyncResult.IgnoredStaleVersion; // deleted inline after the scan read it
        }

        var synced = state with { SyncState = FlowSyncState.FlowSynced };
        return AfterBulkCreate(table, in key, in synced, vendorMetadata, table.Create(in key, in synced, vendorMetadata));
    }

    /// <summary>Settles a bulk record's create: a flow already held is replaced only by a strictly newer version.</summary>
    private static SyncResult AfterBulkCreate(FlowTable table, in FlowKey key, in FlowState synced, byte[] vendorMetadata, SaiStatus created)
    {
        if (created == SaiStatus.Success)
        {
            return SyncResult.Applied;
        }

        if (created != SaiStatus.ItemAlreadyExists)
        {
            return SyncResult.Failed;
        }

        var replace = new ReplaceIfNewer(synced, vendorMetadata, strictlyNewer: true);
        var status = table.Update(in key, ref replace);
        return status == SaiStatus.Success ? SyncResult.Applied : replace.Stale ? SyncResult.IgnoredStaleVersion : SyncResult.Failed;
    }

    /// <summary>
    /// Applies decoded bulk-sync records in order, each as <see cref="ApplyBulk(FlowTable, ulong, in FlowKey, in FlowState, byte[])"/>:
    /// the creates go to the engine in groups (<see cref="FlowTable.CreateBatch"/>), and a record whose flow is already
    /// held then replaces it when newer. <paramref name="states"/> are marked SYNCED in place.
    /// </summary>
    /// <returns>The records applied.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int ApplyBulk(FlowTable table, ulong tableId, ReadOnlySpan<FlowKey> keys, Span<FlowState> states, ReadOnlySpan<byte[]> vendorMetadata)
    {
        ArgumentNullException.ThrowIfNull(table);
        const int Group = 32; // the tombstone check stays just before its records' creates, as for single records
        Span<SaiStatus> statuses = stackalloc SaiStatus[Group];
        int applied = 0;
        for (int start = 0; start < keys.Length; start += Group)
        {
            int n = Math.Min(Group, keys.Length - start);
            if (_bulkSyncing && !_tombstones.IsEmpty)
            {
                for (int i = start; i < start + n; i++)
                {
                    applied += ApplyBulk(table, tableId, in keys[i], in states[i], vendorMetadata[i]) == SyncResult.Applied ? 1 : 0;
                }

                continue;
            }

            var groupStates = states.Slice(start, n);
            foreach (ref var state in groupStates)
            {
                state.SyncState = FlowSyncState.FlowSynced;
            }

            table.CreateBatch(keys.Slice(start, n), groupStates, vendorMetadata.Slice(start, n), stopOnError: false, statuses);
            for (int i = 0; i < n; i++)
            {
                applied += AfterBulkCreate(table, in keys[start + i], in groupStates[i], vendorMetadata[start + i], statuses[i]) == SyncResult.Applied ? 1 : 0;
            }
        }

        return applied;
    }

    /// <summary>Range sync's delete: removes the entry only when it holds exactly <paramref name="version"/>.</summary>
    public SyncResult DeleteExact(FlowTable table, in FlowKey key, uint version)
    {
        if (table.Get(in key, out var held, out _) != SaiStatus.Success)
        {
            return SyncResult.Applied;
        }

        if (held.Version != version)
        {
            return SyncResult.IgnoredStaleVersion;
        }

        table.Remove(in key);
        return SyncResult.Applied;
    }

    /// <summary>Empties every table (a perfect sync starts from nothing).</summary>
    /// <returns>The entries removed.</returns>
    public long ClearAll()
    {
        long removed = 0;
        foreach (var id in _api.FlowTableIds)
        {
            if (!_api.TryGetTable(id, out var table))
            {
                continue;
            }

            var cursor = default(FlowScanCursor);
            var keys = new KeyCollector { Keys = new List<FlowKey>(4096) };
            while (!cursor.IsComplete)
            {
                keys.Keys.Clear();
                table.Scan(ref cursor, 4096, ref keys);
                foreach (var key in keys.Keys)
                {
                    removed += table.Remove(in key) == SaiStatus.Success ? 1 : 0;
                }
            }
        }

        return removed;
    }

    private struct KeyCollector : IFlowScanVisitor
    {
        public List<FlowKey> Keys;

        public readonly bool NeedsState => false;

        public readonly bool Accept(in FlowEntryView view) => true;

        public readonly bool Visit(in FlowEntryView view, in FlowState state, ReadOnlySpan<byte> vendorMetadata)
        {
            Keys.Add(view.Key);
            return true;
        }
    }

    /// <summary>Replaces the whole state unless the held version is newer (or equal, for a bulk record).</summary>
    private struct ReplaceIfNewer(FlowState incoming, byte[] vendorMetadata, bool strictlyNewer) : IFlowEntryMutator
    {
        public bool Stale { get; private set; }

        public readonly bool ReplacesVendorMetadata => true;

        public readonly ReadOnlySpan<byte> VendorMetadata => vendorMetadata;

        public SaiStatus Mutate(ref FlowState state)
        {
            if (state.Version > incoming.Version || (strictlyNewer && state.Version == incoming.Version))
            {
                Stale = true;
                return SaiStatus.Failure;
            }

            state = incoming;
            return SaiStatus.Success;
        }
    }
}
