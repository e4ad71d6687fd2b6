using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DashFlow.Api;
using DashFlow.Engine;
using DashFlow.Ha.Roles;
using DashFlow.Model;
using DashFlow.Server.Ha;
using DashFlow.Server.Hosting;

namespace DashFlow.Demo;

/// <summary>
/// Runs the demo: two agents form an HA pair on loopback, the data plane learns NAT connections on the active, which
/// syncs them inline; idle flows age and free their ports; the active is killed in mid-traffic and the standby carries on;
/// the killed agent returns as the new standby through a bulk sync; both tables are compared at the end.
/// </summary>
public sealed class DemoRunner : IAsyncDisposable
{
    /// <summary>The DASH failover budget per ENI (SS-HA): the check the report applies.</summary>
    public static readonly TimeSpan FailoverBudget = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly HaTimings Timings = new() { HeartbeatIntervalMs = 100, PeerDeadMs = 600, ConnectRetries = 600 };

    private readonly DemoOptions _options;
    private readonly int[] _ports = new int[2];
    private readonly Agent?[] _agents = new Agent?[2];
    private readonly Stopwatch _clock = new();
    private DemoDataPlane? _dataPlane;
    private volatile DemoPhase _phase = DemoPhase.Starting;
    private long _lastLearned;
    private double _lastSampleSeconds;
    private double _rate;

    static DemoRunner()
    {
        // Two agents, the data plane and the view share one process: keepalives must not queue behind a busy thread pool.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(io, 32));
    }

    public DemoRunner(DemoOptions options)
    {
        _options = options;
    }

    /// <summary>Why <paramref name="options"/> cannot run, or null.</summary>
    public static string? Validate(DemoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Duration < TimeSpan.FromSeconds(4) || options.Duration > TimeSpan.FromHours(1))
        {
            return "--duration: between 4 and 3600 seconds";
        }

        if (options.ConnectionsPerSecond is < 1 or > 2_000_000)
        {
            return "--cps: between 1 and 2000000";
        }

        if (options.MaxFlows is < 1024 or > 64_000_000)
        {
            return "--flows: between 1024 and 64000000";
        }

        if (options.PcapPath is not null && !File.Exists(options.PcapPath))
        {
            return $"--pcap: {options.PcapPath}: no such file";
        }

        return null;
    }

    /// <summary>The figures right now, for the live view (safe from any thread).</summary>
    public DemoSnapshot Snapshot()
    {
        double seconds = _clock.Elapsed.TotalSeconds;
        long learned = _dataPlane?.ConnectionsLearned ?? 0;
        if (seconds - _lastSampleSeconds >= 0.5)
        {
            _rate = (learned - _lastLearned) / (seconds - _lastSampleSeconds);
            (_lastLearned, _lastSampleSeconds) = (learned, seconds);
        }

        return new DemoSnapshot
        {
            Phase = _phase,
            ElapsedSeconds = seconds,
            Agents = [View(0), View(1)],
            ConnectionsPerSecond = Math.Max(0, _rate),
            ConnectionsLearned = learned,
            SyncLag = _agents.Sum(a => a?.Ha is { Decides: true } ha ? ha.PendingInline : 0),
            FlowsAged = _dataPlane?.FlowsAged ?? 0,
            PortsInUse = _dataPlane?.PortsInUse ?? 0,
        };
    }

    /// <summary>Runs every phase and returns the report; a phase that cannot finish fails its check instead of throwing.</summary>
    public async Task<DemoReport> RunAsync(CancellationToken cancellationToken = default)
    {
        var total = Stopwatch.StartNew();
        var checks = new List<DemoCheck>();
        _ports[0] = FreePort();
        _ports[1] = FreePort();
        _agents[0] = await StartAgentAsync(0, HaDesiredState.Active, cancellationToken).ConfigureAwait(false);
        _agents[1] = await StartAgentAsync(1, HaDesiredState.None, cancellationToken).ConfigureAwait(false);
        // dpu0 prefers active, but a slow start (a loaded machine) may elect dpu1: whichever is active decides.
        await WaitUntilAsync(() => IsPair(_agents[0]!, _agents[1]!) || IsPair(_agents[1]!, _agents[0]!), () => $"the pair forms (dpu0 {_agents[0]!.Ha!.State}, dpu1 {_agents[1]!.Ha!.State})", cancellationToken).ConfigureAwait(false);
        int activeIndex = IsPair(_agents[0]!, _agents[1]!) ? 0 : 1;
        var first = _agents[activeIndex]!;
        var second = _agents[1 - activeIndex]!;

        var status = first.Api.CreateFlowTable(out var table,
        [
            SaiAttribute.U32(FlowTableAttr.MaxFlowCount, (uint)_options.MaxFlows),
            SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, (int)FlowEnabledKey.All),
            SaiAttribute.U32(FlowTableAttr.FlowTtlInMilliseconds, _options.FlowTtlMs),
        ]);
        if (status != SaiStatus.Success)
        {
            throw new InvalidOperationException($"demo: create_flow_table failed: {status.Describe()}");
        }

        // Learning on the first active.
        _dataPlane = new DemoDataPlane(_options, table);
        _phase = DemoPhase.Learning;
        _clock.Start();
        _dataPlane.Start(first.Api, first.Ha!);
        await DelayUntilAsync(_options.Duration * _options.FailoverAt, cancellationToken).ConfigureAwait(false);

        // Failover: the active's HA node dies first (no more acks settle), then what it had marked SYNCED is read, then the
        // agent goes. The standby must decide within the budget and hold every acked flow.
        _phase = DemoPhase.FailingOver;
        await _dataPlane.PauseAsync().ConfigureAwait(false);
        long killedAt = Stopwatch.GetTimestamp();
        long inlineSyncedBeforeFailover = first.Ha!.Counters["inline_requests_acked"];
        await first.Ha.DisposeAsync().ConfigureAwait(false);
        await Task.Delay(200, cancellationToken).ConfigureAwait(false); // acks already received finish marking flows SYNCED
        var acked = SyncedFlows(first.Api, table);
        await first.DisposeAsync().ConfigureAwait(false);
        _agents[activeIndex] = null;
        await WaitUntilAsync(() => second.Ha!.Decides, "the standby decides", cancellationToken).ConfigureAwait(false);
        var takeover = second.Ha!.Transitions.LastOrDefault(t => t.To.Decides());
        double failoverMs = Stopwatch.GetElapsedTime(killedAt, takeover.AtTicks == 0 ? Stopwatch.GetTimestamp() : takeover.AtTicks).TotalMilliseconds;
        long lost = LostFlows(acked, second.Api, table);

        // Carrying on on the former standby.
        _dataPlane.MoveTo(second.Api, second.Ha);
        _dataPlane.Resume();
        _phase = DemoPhase.CarryingOn;
        await DelayUntilAsync(_options.Duration * (_options.FailoverAt + ((1 - _options.FailoverAt) / 3)), cancellationToken).ConfigureAwait(false);

        // Recovery: the failed agent returns and becomes the standby through a bulk sync, under traffic.
        _phase = DemoPhase.Recovering;
        var returned = await StartAgentAsync(activeIndex, HaDesiredState.None, cancellationToken).ConfigureAwait(false);
        _agents[activeIndex] = returned;
        await WaitUntilAsync(() => second.Ha.State == HaState.Active && returned.Ha!.State == HaState.Standby, "the returning agent becomes standby", cancellationToken).ConfigureAwait(false);
        long bulkSynced = returned.Ha!.Counters["bulk_sync_flows_received"];
        await DelayUntilAsync(_options.Duration, cancellationToken).ConfigureAwait(false);

        // Checking: the traffic stops, the inline queue drains, and the two tables must be the same.
        _phase = DemoPhase.Checking;
        _dataPlane.Stop();
        await WaitUntilAsync(() => second.Ha.PendingInline == 0, "the inline queue drains", cancellationToken).ConfigureAwait(false);
        var diff = await DemoTableDiff.CompareAsync(second, returned, cancellationToken).ConfigureAwait(false);
        _phase = DemoPhase.Done;

        long inlineSynced = inlineSyncedBeforeFailover + second.Ha.Counters["inline_requests_acked"];
        var report = new DemoReport
        {
            ConnectionsLearned = _dataPlane.ConnectionsLearned,
            FlowsPeak = _dataPlane.FlowsPeak,
            FlowsAged = _dataPlane.FlowsAged,
            FlowsClosed = _dataPlane.FlowsClosed,
            PortsFreed = _dataPlane.PortsFreed,
            PortsExhausted = _dataPlane.PortsExhausted,
            InlineSynced = inlineSynced,
            BulkSynced = bulkSynced,
            FailoverMs = Math.Round(failoverMs, 1),
            LostAckedFlows = lost,
            DiffAfterRecovery = diff.MissingOnPeer + diff.ExtraOnPeer + diff.VersionMismatch,
            Packets = _dataPlane.Packets,
            DurationS = Math.Round(total.Elapsed.TotalSeconds, 1),
            Seed = _options.Seed,
        };
        var c = CultureInfo.InvariantCulture;
        checks.Add(new DemoCheck("data plane ran without error", _dataPlane.Failure is null, _dataPlane.Failure?.Message ?? "no exception"));
        checks.Add(new DemoCheck("connections learned", report.ConnectionsLearned > 0, report.ConnectionsLearned.ToString("N0", c)));
        checks.Add(new DemoCheck("flows synced inline", report.InlineSynced > 0, report.InlineSynced.ToString("N0", c)));
        if (!_dataPlane.IsCapture)
        {
            checks.Add(new DemoCheck("idle flows aged and their ports freed", report.FlowsAged > 0 && report.PortsFreed > 0, string.Create(c, $"{report.FlowsAged:N0} aged, {report.PortsFreed:N0} ports freed")));
        }

        checks.Add(new DemoCheck("failover within the DASH budget", failoverMs < FailoverBudget.TotalMilliseconds, string.Create(c, $"{failoverMs:F0} ms (budget {FailoverBudget.TotalMilliseconds:F0} ms)")));
        checks.Add(new DemoCheck("no acked flow lost in the failover", lost == 0, string.Create(c, $"{lost:N0} of {acked.Count:N0} acked flows missing")));
        checks.Add(new DemoCheck("tables equal after recovery (ha diff)", diff.Same, string.Create(c, $"{diff.Flows:N0} flows: missing_on_peer {diff.MissingOnPeer}, extra_on_peer {diff.ExtraOnPeer}, version_mismatch {diff.VersionMismatch}")));
        return report with { Checks = checks };
    }

    public async ValueTask DisposeAsync()
    {
        _dataPlane?.Dispose();
        for (int i = 0; i < _agents.Length; i++)
        {
            if (_agents[i] is { } agent)
            {
                await agent.DisposeAsync().ConfigureAwait(false);
                _agents[i] = null;
            }
        }
    }

    private DemoAgentView View(int index)
    {
        var agent = _agents[index];
        string name = string.Create(CultureInfo.InvariantCulture, $"dpu{index}");
        if (agent?.Ha is not { } ha)
        {
            return new DemoAgentView(name, "down", 0);
        }

        long flows = agent.Api.FlowTableIds.Sum(id => agent.Api.TryGetTable(id, out var t) ? t.Count : 0);
        return new DemoAgentView(name, ha.State.ToString(), flows);
    }

    private static bool IsPair(Agent active, Agent standby) => active.Ha!.State == HaState.Active && standby.Ha!.State == HaState.Standby;

    private async Task<Agent> StartAgentAsync(int index, HaDesiredState desired, CancellationToken cancellationToken) => await Agent.StartAsync(new AgentOptions
    {
        Listen = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{_ports[index]}"),
        LogLevel = "Warning",
        Ha = new HaOptions { Peer = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{_ports[1 - index]}"), Desired = desired, Timings = Timings },
    }, cancellationToken).ConfigureAwait(false);

    private async Task DelayUntilAsync(TimeSpan at, CancellationToken cancellationToken)
    {
        var left = at - _clock.Elapsed;
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left, cancellationToken).ConfigureAwait(false);
        }

        if (_dataPlane?.Failure is { } failure)
        {
            throw new InvalidOperationException($"demo: the data plane stopped: {failure.Message}", failure);
        }
    }

    private static Task WaitUntilAsync(Func<bool> condition, string what, CancellationToken cancellationToken) => WaitUntilAsync(condition, () => what, cancellationToken);

    private static async Task WaitUntilAsync(Func<bool> condition, Func<string> what, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > Patience)
            {
                throw new TimeoutException($"demo: {what()}: not reached within {Patience.TotalSeconds:F0} s");
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The flows an agent holds as FLOW_SYNCED: the ones its peer acked.</summary>
    private static Dictionary<FlowKey, uint> SyncedFlows(FlowApi api, FlowTableId table)
    {
        var synced = new Dictionary<FlowKey, uint>();
        if (api.TryGetTable(table, out var engine))
        {
            var visitor = new SyncedCollector(synced);
            engine.ScanAll(ref visitor);
        }

        return synced;
    }

    /// <summary>Acked flows the new decider does not hold at the acked version or later.</summary>
    private static long LostFlows(Dictionary<FlowKey, uint> acked, FlowApi api, FlowTableId table)
    {
        if (!api.TryGetTable(table, out var engine))
        {
            return acked.Count;
        }

        long lost = 0;
        foreach (var (key, version) in acked)
        {
            if (engine.Get(in key, out var state, out _) != SaiStatus.Success || state.Version < version)
            {
                lost++;
            }
        }

        return lost;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private readonly struct SyncedCollector(Dictionary<FlowKey, uint> into) : IFlowScanVisitor
    {
        public bool NeedsState => false;

        public bool Accept(in FlowEntryView view) => view.SyncState == FlowSyncState.FlowSynced;

        public bool Visit(in FlowEntryView view, in FlowState state, ReadOnlySpan<byte> vendorMetadata)
        {
            into[view.Key] = view.Version;
            return true;
        }
    }
}
