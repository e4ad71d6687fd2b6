using DashFlow.Api;
using DashFlow.Engine;
using DashFlow.Ha.Inline;
using DashFlow.Ha.Range;
using DashFlow.Ha.Roles;
using DashFlow.Ha.Standby;
using DashFlow.Model;
using DashFlow.Records;
using Google.Protobuf;
using Grpc.Core;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Ha;

// Range sync (spec §4.8, docs/ha.md): an active that loses its standby logs the keys it changes while it decides alone
// (deletions included, with what the inline queue still held unacked); a standby that returns holding its pre-outage copy
// untouched gets exactly those keys (the flows as they are now, and the deletions), not a full perfect sync.
public sealed partial class HaNode
{
    private readonly OutageLog _outage;
    private volatile bool _partitioned;
    private volatile bool _inlineLost; // the inline queue overflowed: changes were dropped before the log took over
    private ulong _pairTerm; // the term of the pairing while this node is the active (or hands over)
    private ulong _heldBase; // the pairing whose standby copy this node holds (0: none, or cleared)
    private ulong _rangeBase; // the range sync planned for the bulk sync the vote starts (0: perfect sync)

    /// <summary>The outage log and version-range bookkeeping (tests, status).</summary>
    public OutageLog Outage => _outage;

    /// <summary>Cuts this node off its peer, as a network partition would (tests): control messages, inline and range sync
    /// are neither sent nor accepted while set; the process and its tables stay.</summary>
    internal bool Partitioned
    {
        get => _partitioned;
        set => _partitioned = value;
    }

    /// <summary>The standby's side of a range sync: applies one batch (op 1 insert or update a lower version, op 3 delete
    /// at or below the version given); null when this node does not receive a range sync.</summary>
    public Proto.FlowSyncAckBatch? ApplyRange(Proto.FlowSyncBatch batch)
    {
        lock (_syncApplyLock) // after an inline batch of a superseded stream that was still being applied
        {
            return ApplyRangeLocked(batch);
        }
    }

    private Proto.FlowSyncAckBatch? ApplyRangeLocked(Proto.FlowSyncBatch batch)
    {
        if (State != HaState.InitializingToStandby || !_acceptingSync)
        {
            return null;
        }

        var results = new byte[batch.PackedCount];
        var spec = batch.Table.ToSpec();
        if (_applier.EnsureTable(batch.FlowTableId, spec, out var table))
        {
            var visitor = new RangeApplier(_applier, table, batch.FlowTableId, batch.Ops.Memory, results);
            FlowRecordBatch.FromPacked(batch.PackedEntries.Memory, (int)batch.PackedCount).ForEach(ref visitor);
            Counters.CountRangeReceived(visitor.Flows, visitor.Deletes);
        }
        else
        {
            results.AsSpan().Fill((byte)SyncResult.Failed);
        }

        return new Proto.FlowSyncAckBatch { FirstSeq = batch.FirstSeq, Results = UnsafeByteOperations.UnsafeWrap(results) };
    }

    /// <summary>The machine moved <paramref name="from"/> → <paramref name="to"/> (under the lock, before the levels): the
    /// impact starts when this node is left deciding alone, ends when the peer returns, and the log resets once synced.</summary>
    private void OnRangeTransitionLocked(HaState from, HaState to)
    {
        if (to == HaState.Standalone)
        {
            // Only an active whose standby held a synced copy (and whose queue dropped nothing) knows what the peer misses:
            // the log, plus what its inline queue still held unacked. Anyone else logs only whether its tables changed.
            bool knows = from is HaState.Active or HaState.SwitchingToStandby && !_inlineLost;
            _outage.BeginImpact(knows ? _pairTerm : 0);
            if (knows)
            {
                _queue.SeedPending(_outage);
            }
        }
        else if (from == HaState.Standalone && to == HaState.InitializingToActive)
        {
            _outage.EndImpact();
        }

        if (to == HaState.InitializingToActive)
        {
            _inlineLost = false; // the queue starts afresh
        }

        if ((from == HaState.InitializingToActive && to == HaState.Active) || to == HaState.InitializingToStandby)
        {
            _outage.Completed(); // "bulk sync completed" (or this node's copy is about to be replaced): Min = Max = 0
            _heldBase = to == HaState.InitializingToStandby ? 0 : _heldBase;
        }
    }

    /// <summary>Levels of range sync: which pairing this node's copy belongs to, and logging only while deciding alone.</summary>
    private void ApplyRangeLevelsLocked(HaState state, HaActions actions)
    {
        if (state is HaState.Active or HaState.SwitchingToStandby)
        {
            _pairTerm = _machine.Term;
        }

        if (state is HaState.Active or HaState.SwitchingToStandby or HaState.InitializingToActive)
        {
            _heldBase = 0; // this node's copy is the reference now, not a standby's
        }

        if (state == HaState.Standby)
        {
            _heldBase = _machine.Term; // the active's term, adopted
        }

        if ((actions & HaActions.ClearTables) != 0)
        {
            _heldBase = 0;
        }

        if (state.Replicates() || state.AcceptsSync())
        {
            _outage.StopRecording(); // after the queue was enabled and reset: every change is in one or the other
        }
    }

    /// <summary>The decider's side of a vote that starts a sync: a range sync when the asker holds the copy the outage log
    /// is relative to, else a perfect sync.</summary>
    private (HaVote Vote, HaActions Actions) PlanSyncLocked(HaVote vote, HaActions actions, ulong peerBase)
    {
        if ((actions & HaActions.StartBulkSync) != 0)
        {
            _rangeBase = _outage.CanRangeSync(peerBase) ? peerBase : 0;
            if (_rangeBase == 0 && _outage.Min != 0)
            {
                Counters.RangeSyncFellBack();
            }
        }

        return (vote, actions);
    }

    /// <summary>What a vote answer tells the asker: the range sync under way for it, or 0 (perfect sync: empty your tables).</summary>
    private ulong RangeSyncBaseFor(HaVote vote)
    {
        lock (_lock)
        {
            return vote == HaVote.BecomeStandby && _machine.State == HaState.InitializingToActive ? _rangeBase : 0;
        }
    }

    /// <summary>The pairing whose standby copy this node still holds untouched (sent with a vote request), or 0.</summary>
    private ulong HeldSyncBase()
    {
        lock (_lock)
        {
            return _heldBase != 0 && _outage.IsClean ? _heldBase : 0;
        }
    }

    /// <summary>The asker's side of the vote answer: a range sync keeps this node's tables.</summary>
    private HaActions KeepTablesIfRangedLocked(HaActions actions, ulong rangeBase, ulong held)
    {
        if ((actions & HaActions.StartBulkSync) != 0)
        {
            _rangeBase = 0; // this node won a clean election: a perfect sync
        }

        if (rangeBase != 0 && rangeBase == held && (actions & HaActions.ClearTables) != 0)
        {
            actions &= ~HaActions.ClearTables;
        }

        return actions;
    }

    private async Task RunRangeSyncAsync(CancellationToken cancellationToken)
    {
        bool succeeded = false;
        try
        {
            await SendRangeAsync(cancellationToken).ConfigureAwait(false);
            succeeded = true;
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or InvalidOperationException or RpcException)
        {
            succeeded = false;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return; // superseded: the machine already moved on
        }

        Counters.RangeSyncEnded(succeeded);
        Input(m => m.OnBulkSyncFinished(succeeded));
    }

    /// <summary>Sends every logged key: the flow as this node holds it now, or its deletion.</summary>
    private async Task SendRangeAsync(CancellationToken cancellationToken)
    {
        var entries = _outage.Take();
        var records = new FlowRecordBatch(256 * 1024);
        var ops = new byte[_options.InlineBatch];
        int count = 0;
        ulong current = 0;
        FlowTable? table = null;
        foreach (var entry in entries)
        {
            if (count > 0 && (entry.TableId != current || count == ops.Length))
            {
                await SendRangeBatchAsync(current, records, ops, count, cancellationToken).ConfigureAwait(false);
                records.Clear();
                count = 0;
            }

            if (entry.TableId != current || table is null)
            {
                current = entry.TableId;
                table = _api.TryGetTable(new FlowTableId(current), out var found) ? found : null;
            }

            if (table is null)
            {
                continue; // the table was removed meanwhile
            }

            if (table.Get(entry.Key, out var state, out var vendor) == SaiStatus.Success)
            {
                records.Add(entry.Key, state, vendor);
                ops[count++] = RangeSyncRules.Upsert;
            }
            else if (entry.Deleted)
            {
                records.Add(entry.Key, new FlowState { Version = entry.MaxDeletedVersion }, ReadOnlySpan<byte>.Empty);
                ops[count++] = RangeSyncRules.Delete;
            }
        }

        if (count > 0)
        {
            await SendRangeBatchAsync(current, records, ops, count, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SendRangeBatchAsync(ulong tableId, FlowRecordBatch records, byte[] ops, int count, CancellationToken cancellationToken)
    {
        var spec = HaTableSpec.Of(_api, new FlowTableId(tableId)) ?? default;
        var batch = new Proto.FlowSyncBatch
        {
            PackedCount = (uint)count,
            Ops = ByteString.CopyFrom(ops, 0, count),
            PackedEntries = ByteString.CopyFrom(records.Packed.Span),
            FlowTableId = tableId,
            Table = spec.ToMessage(),
        };

        // The returning node may still be settling its side of the vote: it answers FAILED_PRECONDITION until it receives.
        var deadline = NowMs + 10_000;
        while (true)
        {
            try
            {
                var ack = await _peer.RangeSyncAsync(batch, deadline: Deadline(30_000), cancellationToken: cancellationToken).ConfigureAwait(false);
                if (ack.Results.Span.Contains((byte)SyncResult.Failed))
                {
                    throw new InvalidOperationException("the peer could not apply a range sync record");
                }

                int deletes = ops.AsSpan(0, count).Count(RangeSyncRules.Delete);
                Counters.CountRangeSent(count - deletes, deletes);
                return;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition && NowMs < deadline)
            {
                await Task.Delay(_options.Timings.HeartbeatIntervalMs, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Applies range sync records: flows by the bulk rules, deletions at or below the version given.</summary>
    private struct RangeApplier(StandbyApplier applier, FlowTable table, ulong tableId, ReadOnlyMemory<byte> ops, byte[] results) : IFlowRecordVisitor
    {
        private int _position;

        public int Flows { get; private set; }

        public int Deletes { get; private set; }

        public void Visit(in FlowKey key, in FlowState state, byte[] vendorMetadata)
        {
            if (_position >= results.Length)
            {
                return;
            }

            byte op = _position < ops.Length ? ops.Span[_position] : (byte)0;
            SyncResult result;
            if (op == RangeSyncRules.Delete)
            {
                result = RangeSyncRules.DeleteAtOrBelow(table, in key, state.Version);
                Deletes++;
            }
            else
            {
                result = applier.ApplyBulk(table, tableId, in key, in state, vendorMetadata);
                Flows++;
            }

            results[_position++] = (byte)result;
        }

        public void Refused(SaiStatus status)
        {
            if (_position < results.Length)
            {
                results[_position++] = (byte)SyncResult.Failed;
            }
        }
    }
}
