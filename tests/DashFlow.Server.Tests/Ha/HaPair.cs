using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DashFlow.Api;
using DashFlow.Engine;
using DashFlow.Ha.Roles;
using DashFlow.Model;
using DashFlow.Server.Ha;
using DashFlow.Server.Hosting;

namespace DashFlow.Server.Tests.Ha;

/// <summary>Two real agents on loopback configured as an HA pair, with helpers to load, churn, kill, restart and compare.</summary>
public sealed class HaPair : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20); // generous: a loaded 2-core CI machine

    private static int _nextEni;

    static HaPair()
    {
        // Both agents, the churn and the test share one process on a 2-core machine: keepalives must not queue behind
        // a starved thread pool.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(io, 32));
    }

    public HaPair()
    {
        PortA = FreePort();
        PortB = FreePort();
    }

    public int PortA { get; }

    public int PortB { get; }

    public Agent? A { get; private set; }

    public Agent? B { get; private set; }

    public static HaTimings Timings { get; } = new() { HeartbeatIntervalMs = 100, PeerDeadMs = 1500, ConnectRetries = 100 };

    public async Task<Agent> StartAAsync(HaDesiredState desired = HaDesiredState.None) => A = await StartAsync(PortA, PortB, desired);

    public async Task<Agent> StartBAsync(HaDesiredState desired = HaDesiredState.None) => B = await StartAsync(PortB, PortA, desired);

    /// <summary>Stops an agent abruptly (its peer only sees keepalives stop).</summary>
    public async Task KillAsync(Agent agent)
    {
        await agent.DisposeAsync();
        if (agent == A)
        {
            A = null;
        }

        if (agent == B)
        {
            B = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (A is not null)
        {
            await A.DisposeAsync();
        }

        if (B is not null)
        {
            await B.DisposeAsync();
        }
    }

    public static async Task<Agent> StartAsync(int port, int peerPort, HaDesiredState desired) => await Agent.StartAsync(new AgentOptions
    {
        Listen = $"127.0.0.1:{port}",
        MetricsListen = "127.0.0.1:0",
        LogLevel = "Warning",
        Ha = new HaOptions { Peer = $"127.0.0.1:{peerPort}", Desired = desired, Timings = Timings },
    });

    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) => WaitUntilAsync(condition, () => what, timeout);

    public static async Task WaitUntilAsync(Func<bool> condition, Func<string> what, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > (timeout ?? Patience))
            {
                throw new TimeoutException($"not reached within {(timeout ?? Patience).TotalSeconds} s: {what()}");
            }

            await Task.Delay(20);
        }
    }

    public static Task WaitForPairAsync(Agent active, Agent standby) => WaitUntilAsync(
        () => active.Ha!.State == HaState.Active && standby.Ha!.State == HaState.Standby,
        () => $"active/standby (now {active.Ha!.Status()} / {standby.Ha!.Status()})");

    public static Task WaitDrainedAsync(Agent active) => WaitUntilAsync(() => active.Ha!.PendingInline == 0, () => $"inline queue drained ({active.Ha!.Status()})");

    public static FlowTableId CreateTable(FlowApi api, uint maxFlows = 400_000, uint ttlMs = 0)
    {
        Assert.Equal(SaiStatus.Success, api.CreateFlowTable(out var id,
        [
            SaiAttribute.U32(FlowTableAttr.MaxFlowCount, maxFlows),
            SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, (int)FlowEnabledKey.All),
            SaiAttribute.U32(FlowTableAttr.FlowTtlInMilliseconds, ttlMs),
        ]));
        return id;
    }

    /// <summary>A distinct unidirectional flow key for each (eni, n).</summary>
    public static FlowKey Key(int eni, int n) => new(
        MacAddress.Parse($"00:00:02:03:{(eni >> 8) & 0xFF:x2}:{eni & 0xFF:x2}"), 100, 6,
        IpAddress.FromV4(0x0A000000u | (uint)(n >> 16)), IpAddress.FromV4(0x0B000000u | (uint)(n & 0xFFFF)), (ushort)(1000 + (n & 0x3FF)), 443);

    public static int NewEni() => Interlocked.Increment(ref _nextEni);

    public static FlowState State(uint version) => new()
    {
        Version = version,
        Direction = FlowDirection.Outbound,
        Actions = FlowAction.EncapU0,
        IsUnidirectional = true,
        SyncState = FlowSyncState.FlowCreated,
        Rewrite = new FlowRewrite { Underlay0 = new UnderlayEncap { VnetId = 100, Sip = IpAddress.Parse("10.0.0.1"), Dip = IpAddress.Parse("10.0.0.2") } },
    };

    /// <summary>Loads <paramref name="count"/> flows through the typed bulk create (the NAT gateway's path).</summary>
    public static void Load(FlowApi api, FlowTableId table, int eni, int count, uint version = 1)
    {
        const int Chunk = 10_000;
        for (int start = 0; start < count; start += Chunk)
        {
            int n = Math.Min(Chunk, count - start);
            var entries = new FlowEntryAddress[n];
            var states = new FlowState[n];
            for (int i = 0; i < n; i++)
            {
                entries[i] = new FlowEntryAddress(table, Key(eni, start + i));
                states[i] = State(version);
            }

            var statuses = new SaiStatus[n];
            Assert.Equal(SaiStatus.Success, api.CreateFlowEntries(entries, states, BulkErrorMode.StopOnError, statuses));
        }
    }

    /// <summary>Every entry of a table as key → (version, sync state).</summary>
    public static Dictionary<FlowKey, (uint Version, FlowSyncState Sync)> Snapshot(FlowApi api, FlowTableId table)
    {
        var result = new Dictionary<FlowKey, (uint, FlowSyncState)>();
        if (!api.TryGetTable(table, out var engine))
        {
            return result;
        }

        var visitor = new Collector { Into = result };
        engine.ScanAll(ref visitor);

        return result;
    }

    /// <summary>The differences between two agents' copies of a table (missing on b, extra on b, other version).</summary>
    public static (int Missing, int Extra, int Mismatch) Diff(FlowApi a, FlowApi b, FlowTableId table)
    {
        var left = Snapshot(a, table);
        var right = Snapshot(b, table);
        int missing = 0, mismatch = 0;
        foreach (var (key, value) in left)
        {
            if (!right.TryGetValue(key, out var other))
            {
                missing++;
            }
            else if (other.Version != value.Version)
            {
                mismatch++;
            }
        }

        return (missing, right.Keys.Count(k => !left.ContainsKey(k)), mismatch);
    }

    /// <summary>Asserts both agents hold exactly the same flows and versions in <paramref name="table"/>.</summary>
    public static void AssertSame(Agent a, Agent b, FlowTableId table)
    {
        var diff = Diff(a.Api, b.Api, table);
        Assert.True(diff == (0, 0, 0), $"diff (missing, extra, mismatch) {diff}; {Describe(a)} / {Describe(b)}");
    }

    public static string Describe(Agent agent) =>
        $"{agent.Ha!.Status()} transitions {string.Join(" ", agent.Ha.Transitions.Select(t => $"{t.To}@{t.Term}"))}";

    /// <summary>Runs <paramref name="work"/> on its own thread (a churning application must not starve the thread pool the
    /// agents' keepalives run on).</summary>
    public static Task<T> OnThread<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>Checks the pair never had two decision makers: replays both nodes' transitions in time order.</summary>
    public static void AssertNeverTwoDeciders(IEnumerable<HaTransition> a, IEnumerable<HaTransition> b)
    {
        var events = a.Select(t => (t.AtTicks, Node: 0, t.To)).Concat(b.Select(t => (t.AtTicks, Node: 1, t.To))).OrderBy(e => e.AtTicks);
        var states = new[] { HaState.Dead, HaState.Dead };
        foreach (var (at, node, to) in events)
        {
            states[node] = to;
            Assert.False(states[0].Decides() && states[1].Decides(), $"two decision makers at {at}: {states[0]} and {states[1]}");
        }
    }

    /// <summary>
    /// A free port below Linux's ephemeral range (32768 and up): a node restarted on its old port must find it still free,
    /// and an ephemeral port can meanwhile go to any outgoing connection or to another test's listener on port 0.
    /// </summary>
    public static int FreePort()
    {
        while (true)
        {
            int port = Random.Shared.Next(20_000, 32_000);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // taken: draw again
            }
        }
    }

    private struct Collector : IFlowScanVisitor
    {
        public Dictionary<FlowKey, (uint, FlowSyncState)> Into;

        public readonly bool NeedsState => false;

        public readonly bool Accept(in FlowEntryView view) => true;

        public readonly bool Visit(in FlowEntryView view, in FlowState state, ReadOnlySpan<byte> vendorMetadata)
        {
            Into[view.Key] = (view.Version, view.SyncState);
            return true;
        }
    }
}
