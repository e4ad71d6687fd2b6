using DashFlow.Ha.Roles;
using DashFlow.Model;
using Grpc.Core;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Ha;

// Control messages: what this node sends (keepalives, votes, bulk sync control, switchover, shutdown) and how it answers.
public sealed partial class HaNode
{
    private int _heartbeatInFlight;
    private int _voteInFlight;

    /// <summary>Answers one control message of the peer.</summary>
    public async Task<Proto.HaControlReply> HandleControlAsync(Proto.HaControl request)
    {
        long now = NowMs;
        var peerState = (HaState)request.HaState;
        var reply = new Proto.HaControlReply { Status = (int)SaiStatus.Success };
        switch ((HaControlType)request.Type)
        {
            case HaControlType.Heartbeat:
                Input(m => m.PeerHeard(now, peerState, request.Term, request.NodeId));
                break;
            case HaControlType.RequestVote:
                reply.Vote = (uint)Input(m => PlanSyncLocked(m.OnVoteRequest(now, request.Term, (HaDesiredState)request.DesiredState, request.NodeId, out var actions), actions, request.SyncBase));
                reply.RangeSyncBase = RangeSyncBaseFor((HaVote)reply.Vote);
                break;
            case HaControlType.HaStateChanged:
                Input(m => m.OnPeerStateChanged(now, peerState, request.Term));
                break;
            case HaControlType.BulkSyncStart:
                reply.Status = (int)StartReceivingTable(request);
                break;
            case HaControlType.BulkSyncCompleted:
                bool acked = Input(m => (m.OnBulkSyncCompleted(request.Term), HaActions.None));
                reply.Status = (int)(acked ? SaiStatus.Success : SaiStatus.Failure);
                break;
            case HaControlType.PlannedSwitchover:
                reply.Status = (int)await HandOverAsync(now).ConfigureAwait(false);
                break;
            case HaControlType.PlannedShutdown:
                Input(m => m.OnPeerShutdown());
                break;
            default:
                reply.Status = (int)SaiStatus.NotSupported;
                break;
        }

        lock (_lock)
        {
            reply.Term = _machine.Term;
            reply.HaState = (uint)_machine.State;
        }

        return reply;
    }

    /// <summary>
    /// Planned switchover asked by an operator of this node: a standby starts it (SwitchingToActive, then Active once the
    /// active handed over); an active forwards the request to its standby.
    /// </summary>
    /// <returns>The state this node ended in, and a SAI status.</returns>
    public async Task<(HaState State, SaiStatus Status)> SwitchoverAsync(CancellationToken cancellationToken = default)
    {
        var state = State;
        if (state == HaState.Active)
        {
            var forwarded = await _peer.SwitchoverAsync(new Proto.HaSwitchoverRequest(), deadline: Deadline(30_000), cancellationToken: cancellationToken).ConfigureAwait(false);
            return (State, (SaiStatus)forwarded.Status);
        }

        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _switchoverDone = done;
        Input(m => m.RequestSwitchover());
        if (State != HaState.SwitchingToActive && State != HaState.Active)
        {
            return (State, SaiStatus.ObjectInUse); // not a standby
        }

        bool accepted = await done.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        return (State, accepted ? SaiStatus.Success : SaiStatus.Failure);
    }

    /// <summary>Planned shutdown: stops deciding, drains the inline queue, tells the peer (which goes standalone at once).</summary>
    public async Task ShutdownAsync(CancellationToken cancellationToken = default)
    {
        if (Stopping.IsCancellationRequested)
        {
            return; // already stopped (a crash-style stop came first)
        }

        HaActions actions;
        _decisionGate.EnterWriteLock(); // no decision is half-made when this node stops deciding
        try
        {
            lock (_lock)
            {
                actions = _machine.RequestShutdown();
                ApplyLevelsLocked(actions);
            }
        }
        finally
        {
            _decisionGate.ExitWriteLock();
        }

        Execute(actions & ~(HaActions.SendShutdown | HaActions.DrainReplication));
        if ((actions & HaActions.DrainReplication) != 0)
        {
            await _queue.WaitDrainedAsync(_options.DrainTimeout, cancellationToken).ConfigureAwait(false);
        }

        if ((actions & HaActions.SendShutdown) != 0)
        {
            await TryControlAsync(HaControlType.PlannedShutdown, 2_000).ConfigureAwait(false);
        }
    }

    private TaskCompletionSource<bool>? _switchoverDone;

    /// <summary>The active's side of a switchover: stop deciding (no decision half-made), drain, answer.</summary>
    private async Task<SaiStatus> HandOverAsync(long now)
    {
        bool accepted;
        HaActions actions;
        _decisionGate.EnterWriteLock();
        try
        {
            lock (_lock)
            {
                accepted = _machine.OnSwitchoverRequest(now, out actions);
                ApplyLevelsLocked(actions);
            }
        }
        finally
        {
            _decisionGate.ExitWriteLock();
        }

        if (!accepted)
        {
            return SaiStatus.ObjectInUse;
        }

        if (await _queue.WaitDrainedAsync(_options.DrainTimeout, Stopping).ConfigureAwait(false))
        {
            return SaiStatus.Success;
        }

        Input(m => m.OnSwitchoverAborted());
        return SaiStatus.Failure;
    }

    private async Task AskSwitchoverAsync()
    {
        var reply = await TryControlAsync(HaControlType.PlannedSwitchover, (int)_options.DrainTimeout.TotalMilliseconds + 5_000).ConfigureAwait(false);
        bool accepted = reply is { Status: (int)SaiStatus.Success };
        Input(m => m.OnSwitchoverReply(accepted, reply?.Term ?? 0));
        _switchoverDone?.TrySetResult(accepted);
    }

    private async Task HeartbeatAsync()
    {
        if (Interlocked.Exchange(ref _heartbeatInFlight, 1) != 0)
        {
            return;
        }

        try
        {
            var reply = await TryControlAsync(HaControlType.Heartbeat, Math.Max(_options.Timings.PeerDeadMs, 2 * _options.Timings.HeartbeatIntervalMs)).ConfigureAwait(false);
            if (reply is null)
            {
                Input(m => m.HeartbeatFailed(NowMs));
            }
            else
            {
                Input(m => m.PeerHeard(NowMs, (HaState)reply.HaState, reply.Term));
            }
        }
        finally
        {
            Volatile.Write(ref _heartbeatInFlight, 0);
        }
    }

    private async Task VoteAsync()
    {
        if (Interlocked.Exchange(ref _voteInFlight, 1) != 0)
        {
            return;
        }

        try
        {
            ulong held = HeldSyncBase();
            var reply = await TryControlAsync(HaControlType.RequestVote, 5_000, r => r.SyncBase = held).ConfigureAwait(false);
            if (reply is not null)
            {
                Input(m => KeepTablesIfRangedLocked(m.OnVoteReply(NowMs, (HaVote)reply.Vote, reply.Term), reply.RangeSyncBase, held));
            }
        }
        finally
        {
            Volatile.Write(ref _voteInFlight, 0);
        }
    }

    private async Task CompleteBulkSyncAsync()
    {
        // The peer may not have settled its own side of the vote yet (it answers FAILURE until it receives): retry while
        // this node still waits for the ack; the bulk sync timeout bounds it.
        int epoch = Volatile.Read(ref _bulkEpoch);
        while (State == HaState.InitializingToActive && !Stopping.IsCancellationRequested && epoch == Volatile.Read(ref _bulkEpoch))
        {
            var reply = await TryControlAsync(HaControlType.BulkSyncCompleted, 5_000).ConfigureAwait(false);
            if (reply is { Status: (int)SaiStatus.Success })
            {
                Input(m => m.OnBulkSyncCompletedAck());
                return;
            }

            await Delay(_options.Timings.HeartbeatIntervalMs, Stopping).ConfigureAwait(false);
        }
    }

    private Task SendStateChangedAsync() => TryControlAsync(HaControlType.HaStateChanged, 2_000);

    private readonly Lock _prepareLock = new();
    private (ulong Id, Task Creating)? _preparing;

    /// <summary>
    /// The standby side of BULK_SYNC_START: mirror the table and route the next session's records into it. A table that
    /// does not exist yet is created on a thread of its own (mapping a 32M-flow table takes seconds), and the answer is
    /// OBJECT_IN_USE until it is ready, so the active retries instead of the control call blocking a pool thread.
    /// </summary>
    private SaiStatus StartReceivingTable(Proto.HaControl request)
    {
        if (State != HaState.InitializingToStandby || !_acceptingSync)
        {
            return SaiStatus.ObjectInUse; // not (yet) receiving: the active retries
        }

        ulong id = request.FlowTableId;
        lock (_prepareLock)
        {
            if (_api.TryGetTable(new DashFlow.Api.FlowTableId(id), out var table))
            {
                _preparing = _preparing?.Id == id ? null : _preparing;
                _bulkTarget = (id, table);
                return SaiStatus.Success;
            }

            if (_preparing is { } preparing && preparing.Id == id)
            {
                if (!preparing.Creating.IsCompleted)
                {
                    return SaiStatus.ObjectInUse;
                }

                _preparing = null;
                return SaiStatus.InsufficientResources; // finished, yet there is no table: it could not be created
            }

            var spec = request.Table.ToSpec();
            _preparing = (id, Task.Factory.StartNew(() => _applier.EnsureTable(id, spec, out _), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
            return SaiStatus.ObjectInUse;
        }
    }

    /// <summary>Sends one control message with this node's state; null when the peer did not answer in time.</summary>
    private async Task<Proto.HaControlReply?> TryControlAsync(HaControlType type, int timeoutMs, Action<Proto.HaControl>? fill = null)
    {
        if (Partitioned)
        {
            return null;
        }

        var request = new Proto.HaControl { Type = (uint)type, NodeId = _machine.NodeId, DesiredState = (uint)_options.Desired };
        lock (_lock)
        {
            request.Term = _machine.Term;
            request.HaState = (uint)_machine.State;
        }

        fill?.Invoke(request);
        try
        {
            return await _peer.ControlAsync(request, deadline: Deadline(timeoutMs), cancellationToken: Stopping).ConfigureAwait(false);
        }
        catch (RpcException)
        {
            return null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private static DateTime Deadline(int milliseconds) => DateTime.UtcNow.AddMilliseconds(milliseconds);
}
