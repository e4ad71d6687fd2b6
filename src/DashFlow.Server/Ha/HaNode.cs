using System.Diagnostics;
using System.Net;
using DashFlow.Api;
using DashFlow.Ha;
using DashFlow.Ha.Inline;
using DashFlow.Ha.Range;
using DashFlow.Ha.Roles;
using DashFlow.Ha.Standby;
using DashFlow.Server.Hosting;
using Grpc.Net.Client;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Ha;

/// <summary>One transition as the node saw it, with its own monotonic clock (tests check the pair's invariants).</summary>
/// <param name="AtTicks">Stopwatch ticks when it happened.</param>
/// <param name="From">The state left.</param>
/// <param name="To">The state entered.</param>
/// <param name="Term">The term after the transition.</param>
public readonly record struct HaTransition(long AtTicks, HaState From, HaState To, ulong Term);

/// <summary>
/// An agent's HA node: drives the pure <see cref="HaStateMachine"/> with a timer and the peer's messages, and carries out
/// its actions over gRPC: keepalives, the election, inline sync (queue, stream, acks), bulk sync (a GRPC-mode bulk get
/// session into the peer's receiver), planned switchover and shutdown. Machine inputs are serialized under one lock; the
/// actions run outside it.
/// </summary>
public sealed partial class HaNode : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly FlowApi _api;
    private readonly HaOptions _options;
    private readonly HaStateMachine _machine;
    private readonly InlineSyncQueue _queue;
    private readonly StandbyApplier _applier;
    private readonly GrpcChannel _channel;
    private readonly GrpcChannel _inlineChannel;
    private readonly Proto.HaPeer.HaPeerClient _peer;
    private readonly Proto.HaPeer.HaPeerClient _inlinePeer; // its own connection: inline bulk never holds up keepalives
    private readonly CancellationTokenSource _stopping = new();
    private readonly ReaderWriterLockSlim _decisionGate = new(LockRecursionPolicy.NoRecursion);
    private readonly List<HaTransition> _transitions = [];
    private Task _timerLoop = Task.CompletedTask;
    private Task _senderLoop = Task.CompletedTask;
    private volatile bool _acceptingSync = true;
    private int _disposed;
    private bool _agingApplied; // false while the tables are being cleared for a perfect sync

    /// <summary>A node for <paramref name="api"/>, paired with the peer in <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The peer address is malformed.</exception>
    public HaNode(FlowApi api, HaOptions options, string nodeId)
    {
        if (!AgentOptions.TryParseEndpoint(options.Peer, out var peer, out string error))
        {
            throw new ArgumentException($"--ha-peer: {error}", nameof(options));
        }

        _api = api;
        _options = options;
        PeerEndpoint = peer;
        _machine = new HaStateMachine(nodeId, options.Desired, options.Timings);
        _machine.Transitioned += OnTransitioned;
        _queue = new InlineSyncQueue(api, Counters) { Window = options.InlineWindow, MaxQueued = options.MaxQueued };
        _queue.Overflowed += () => ThreadPool.QueueUserWorkItem(_ => Input(m => m.OnReplicationOverflow()));
        _applier = new StandbyApplier(api, Counters);
        _outage = new OutageLog(options.OutageLogCapacity);
        _queue.Overflowed += () => _inlineLost = true; // changes past the overflow reach neither the queue nor the log
        _channel = Http2Tuning.Channel($"http://{peer}");
        _peer = new Proto.HaPeer.HaPeerClient(_channel);
        _inlineChannel = Http2Tuning.Channel($"http://{peer}");
        _inlinePeer = new Proto.HaPeer.HaPeerClient(_inlineChannel);
        api.AgingEnabled = false; // until this node decides (D6: a standby never ages)
    }

    /// <summary>The peer agent's gRPC endpoint.</summary>
    public IPEndPoint PeerEndpoint { get; }

    /// <summary>The node's HA counters.</summary>
    public HaCounters Counters { get; } = new();

    /// <summary>The current state.</summary>
    public HaState State
    {
        get
        {
            lock (_lock)
            {
                return _machine.State;
            }
        }
    }

    /// <summary>The current term.</summary>
    public ulong Term
    {
        get
        {
            lock (_lock)
            {
                return _machine.Term;
            }
        }
    }

    /// <summary>The peer's state as last heard.</summary>
    public HaState PeerState
    {
        get
        {
            lock (_lock)
            {
                return _machine.PeerState;
            }
        }
    }

    /// <summary>The preferred role.</summary>
    public HaDesiredState Desired => _options.Desired;

    /// <summary>True while this node decides (creates, updates, removes and ages flows).</summary>
    public bool Decides => State.Decides();

    /// <summary>Inline changes queued or unacked.</summary>
    public long PendingInline => _queue.Pending;

    /// <summary>Every transition so far, oldest first.</summary>
    public IReadOnlyList<HaTransition> Transitions
    {
        get
        {
            lock (_lock)
            {
                return [.. _transitions];
            }
        }
    }

    /// <summary>The inline ack latencies (p50, p99 in ms, samples); <paramref name="clear"/> starts a new measurement.</summary>
    public (double P50, double P99, long Samples) AckLatency(bool clear = false) => _queue.ReadLatency(clear);

    /// <summary>Starts the timer and the inline sender.</summary>
    public void Start()
    {
        _api.ChangeObserver = new HaChangeObserver(_queue, _outage);
        Input(m => m.Start(NowMs));
        _timerLoop = Task.Run(() => RunTimerAsync(_stopping.Token));
        _senderLoop = Task.Run(() => RunSenderAsync(_stopping.Token));
    }

    /// <summary>
    /// Enters a decision: true when this node decides, and then the caller's change is replicated (if paired) and no
    /// switchover or shutdown takes the decision away before <see cref="ExitDecision"/>. Hold it only around the change.
    /// </summary>
    public bool TryEnterDecision()
    {
        _decisionGate.EnterReadLock();
        if (State.Decides())
        {
            return true;
        }

        _decisionGate.ExitReadLock();
        return false;
    }

    /// <summary>Leaves a decision entered with <see cref="TryEnterDecision"/>.</summary>
    public void ExitDecision() => _decisionGate.ExitReadLock();

    /// <summary>Stops abruptly, as a crash would: no message to the peer.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _bulkSync?.Cancel();
        try
        {
            await Task.WhenAll(_timerLoop, _senderLoop).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            // Loops end on cancellation; a stuck call is abandoned with the channel.
        }

        _api.ChangeObserver = null;
        _channel.Dispose();
        _inlineChannel.Dispose(); // _stopping stays (cancelled): the service still asks it while the host winds down
    }

    internal static long NowMs => Stopwatch.GetTimestamp() * 1000 / Stopwatch.Frequency;

    internal CancellationToken Stopping => _stopping.Token;

    /// <summary>Feeds one input to the machine under the lock, applies the state's levels, then runs the actions.</summary>
    internal void Input(Func<HaStateMachine, HaActions> input)
    {
        HaActions actions;
        lock (_lock)
        {
            actions = input(_machine);
            ApplyLevelsLocked(actions);
        }

        Execute(actions);
    }

    /// <summary>Feeds one input that also answers the peer (a vote, an accepted request), then runs the actions.</summary>
    internal T Input<T>(Func<HaStateMachine, (T Answer, HaActions Actions)> input)
    {
        (T Answer, HaActions Actions) result;
        lock (_lock)
        {
            result = input(_machine);
            ApplyLevelsLocked(result.Actions);
        }

        Execute(result.Actions);
        return result.Answer;
    }

    /// <summary>What the state allows, applied at once: aging only where the node decides, recording changes only where
    /// it replicates, tombstones and upserts while a bulk sync comes in.</summary>
    private void ApplyLevelsLocked(HaActions actions)
    {
        var state = _machine.State;
        if (_agingApplied != state.Decides())
        {
            _agingApplied = state.Decides(); // only on a change: the device lock may be held by a long table creation
            _api.AgingEnabled = _agingApplied;
        }

        bool replicates = state is HaState.Active or HaState.InitializingToActive;
        if (!replicates)
        {
            _queue.Enabled = false; // before the reset below; enabling comes after it, so nothing recorded is dropped
        }

        _applier.BulkSyncing = state == HaState.InitializingToStandby;
        if ((actions & HaActions.ClearTables) != 0)
        {
            _acceptingSync = false; // reopened once the tables are empty
        }

        if ((actions & HaActions.ResetReplication) != 0 || state is HaState.Standalone or HaState.Connected or HaState.Connecting)
        {
            _queue.Reset();
            Interlocked.Increment(ref _replicationEpoch);
        }

        _queue.Enabled = replicates;
        ApplyRangeLevelsLocked(state, actions);
    }

    private void Execute(HaActions actions)
    {
        if ((actions & HaActions.ClearTables) != 0)
        {
            lock (_syncApplyLock) // after an inline batch under way, which its stream's supersession lets finish
            {
                _applier.ClearAll(); // before the vote is answered, so the bulk sync lands on empty tables
            }

            _acceptingSync = true;
        }

        if ((actions & HaActions.CancelBulkSync) != 0)
        {
            _bulkSync?.Cancel();
        }

        if ((actions & HaActions.SendHeartbeat) != 0)
        {
            _ = HeartbeatAsync();
        }

        if ((actions & HaActions.SendVote) != 0)
        {
            _ = VoteAsync();
        }

        if ((actions & HaActions.StartBulkSync) != 0)
        {
            StartBulkSync();
        }

        if ((actions & HaActions.SendBulkSyncCompleted) != 0)
        {
            _ = CompleteBulkSyncAsync();
        }

        if ((actions & HaActions.SendStateChanged) != 0)
        {
            _ = SendStateChangedAsync();
        }

        if ((actions & HaActions.SendSwitchover) != 0)
        {
            _ = AskSwitchoverAsync();
        }
    }

    private void OnTransitioned(HaState from, HaState to)
    {
        _transitions.Add(new HaTransition(Stopwatch.GetTimestamp(), from, to, _machine.Term));
        if (!to.AcceptsSync() || to == HaState.InitializingToStandby)
        {
            SupersedeInlineStreams(); // a late batch of an older stream must not land after what the next sync sends
        }

        OnRangeTransitionLocked(from, to);
        if (to == HaState.Standalone && from.IsPaired())
        {
            Counters.PeerLost();
        }
    }

    private async Task RunTimerAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_options.Timings.HeartbeatIntervalMs));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                Input(m => m.Tick(NowMs));
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
