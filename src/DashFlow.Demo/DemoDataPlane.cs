using System.Diagnostics;
using DashFlow.Api;
using DashFlow.Dataplane.Apps.NatGateway;
using DashFlow.Dataplane.Apps.Observe;
using DashFlow.Dataplane.Capture;
using DashFlow.Dataplane.Output;
using DashFlow.Dataplane.Pipeline;
using DashFlow.Dataplane.Traffic;
using DashFlow.Server.Ha;

namespace DashFlow.Demo;

/// <summary>
/// The demo's data plane on its own thread: a traffic source paced to the wall clock (the seeded generator, or a capture
/// spread over the run), the pipeline and the slow-path app on the deciding agent, and an aging tick every second.
/// The decider can be changed while the thread is paused (failover); counters add up across deciders.
/// </summary>
internal sealed class DemoDataPlane : IDisposable
{
    private const int AgingTickMs = 1000;

    private readonly DemoOptions _options;
    private readonly NatGatewayWorkload? _workload;
    private readonly TrafficGenerator? _generator;
    private readonly List<(long AtUs, byte[] Frame)>? _capture;
    private readonly FlowTableId _table;
    private readonly Lock _gate = new();
    private readonly Thread _thread;
    private readonly ReplyFeedback _output;
    private volatile bool _stop;
    private volatile bool _pauseRequested;
    private volatile bool _paused;
    private Decider? _decider;
    private long _clockStartTicks;
    private long _baseCreated, _baseAged, _baseClosed, _basePortsFreed, _baseExhausted, _basePackets;
    private long _flowsPeak;
    private int _captureNext;

    public DemoDataPlane(DemoOptions options, FlowTableId table)
    {
        _options = options;
        _table = table;
        if (options.PcapPath is null)
        {
            _workload = NatGatewayWorkload.Create(table, (ulong)options.Seed, connectionsPerSecond: options.ConnectionsPerSecond, packetsPerSecond: options.ConnectionsPerSecond * 6.0);
            _generator = new TrafficGenerator(_workload.Traffic);
        }
        else
        {
            _capture = LoadCapture(options.PcapPath, options.Duration);
        }

        _output = new ReplyFeedback(_generator);
        _thread = new Thread(Run) { IsBackground = true, Name = "demo data plane", Priority = ThreadPriority.AboveNormal };
    }

    /// <summary>An exception that stopped the thread, or null.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>The most entries the deciding table held at once.</summary>
    public long FlowsPeak => Interlocked.Read(ref _flowsPeak);

    /// <summary>Connections learned (pairs created) over every decider.</summary>
    public long ConnectionsLearned => _baseCreated + (_decider?.Created ?? 0);

    /// <summary>Flow entries removed by aging over every decider (two per connection).</summary>
    public long FlowsAged => 2 * (_baseAged + (_decider?.Aged ?? 0));

    /// <summary>Flow entries removed by TCP teardown over every decider (two per connection).</summary>
    public long FlowsClosed => 2 * (_baseClosed + (_decider?.Closed ?? 0));

    /// <summary>SNAT ports returned to a pool.</summary>
    public long PortsFreed => _basePortsFreed + (_decider?.PortsFreed ?? 0);

    /// <summary>Connections refused for want of a port.</summary>
    public long PortsExhausted => _baseExhausted + (_decider?.Exhausted ?? 0);

    /// <summary>SNAT ports held now.</summary>
    public long PortsInUse => _decider?.PortsInUse ?? 0;

    /// <summary>Packets processed.</summary>
    public long Packets => _basePackets + (_decider?.Pipeline.Counters.Packets ?? 0);

    /// <summary>True when the traffic is a capture (the observe app learns it) rather than the NAT workload.</summary>
    public bool IsCapture => _capture is not null;

    /// <summary>Starts the traffic on <paramref name="api"/>'s table, deciding through <paramref name="ha"/>.</summary>
    public void Start(FlowApi api, HaNode ha)
    {
        _decider = CreateDecider(api, ha, adopt: false);
        _clockStartTicks = Stopwatch.GetTimestamp();
        _thread.Start();
    }

    /// <summary>Stops processing (the traffic clock keeps running, so packets queue) until <see cref="Resume"/>.</summary>
    public async Task PauseAsync()
    {
        _pauseRequested = true;
        while (!_paused && _thread.IsAlive)
        {
            await Task.Delay(5).ConfigureAwait(false);
        }
    }

    /// <summary>Moves the data plane to a new decider that holds the synced copy of the table; call while paused.</summary>
    public void MoveTo(FlowApi api, HaNode ha)
    {
        lock (_gate)
        {
            if (_decider is { } old)
            {
                _baseCreated += old.Created;
                _baseAged += old.Aged;
                _baseClosed += old.Closed;
                _basePortsFreed += old.PortsFreed;
                _baseExhausted += old.Exhausted;
                _basePackets += old.Pipeline.Counters.Packets;
                old.Dispose();
            }

            _decider = CreateDecider(api, ha, adopt: true);
        }
    }

    /// <summary>Resumes after <see cref="PauseAsync"/>.</summary>
    public void Resume() => _pauseRequested = false;

    /// <summary>Stops the thread and waits for it.</summary>
    public void Stop()
    {
        _stop = true;
        _thread.Join();
    }

    public void Dispose()
    {
        if (_thread.IsAlive)
        {
            Stop();
        }

        _decider?.Dispose();
    }

    private Decider CreateDecider(FlowApi api, HaNode ha, bool adopt)
    {
        ISlowPath app;
        NatGateway? gateway = null;
        if (_workload is not null)
        {
            gateway = new NatGateway(api, _workload.Gateway with { SweepsAging = false, AgingTickMs = AgingTickMs });
            if (adopt)
            {
                gateway.AdoptExistingConnections();
            }

            app = gateway;
        }
        else
        {
            app = new ObserveApp(api, _table, ObserveLearnMode.Dash);
        }

        var pipeline = new FlowPipeline(api, app, _output, new PipelineOptions { Table = _table, EniMac = NatGatewayWorkload.EniMac, AgingTickMs = AgingTickMs });
        return new Decider(pipeline, gateway, app, ha);
    }

    private void Run()
    {
        try
        {
            var buffer = new byte[16 * 1024];
            var pending = default(TrafficPacket);
            bool havePending = false;
            long nextTickUs = AgingTickMs * 1000L;
            while (!_stop)
            {
                if (_pauseRequested)
                {
                    _paused = true;
                    Thread.Sleep(2);
                    continue;
                }

                _paused = false;
                long nowUs = (long)Stopwatch.GetElapsedTime(_clockStartTicks).TotalMicroseconds;
                lock (_gate)
                {
                    var decider = _decider!;
                    if (!decider.Ha.TryEnterDecision())
                    {
                        Thread.Sleep(1); // not deciding (a switch of roles in progress): packets wait
                        continue;
                    }

                    try
                    {
                        int processed = _generator is not null
                            ? RunGenerated(decider, buffer, ref pending, ref havePending, nowUs)
                            : RunCapture(decider, nowUs);
                        if (nowUs >= nextTickUs)
                        {
                            nextTickUs = nowUs + (AgingTickMs * 1000L);
                            decider.Pipeline.RunAgingTick();
                        }

                        long count = decider.Pipeline.Table.Count;
                        if (count > Interlocked.Read(ref _flowsPeak))
                        {
                            Interlocked.Exchange(ref _flowsPeak, count);
                        }

                        if (processed == 0)
                        {
                            Thread.Sleep(1);
                        }
                    }
                    finally
                    {
                        decider.Ha.ExitDecision();
                    }
                }
            }
        }
        catch (Exception e)
        {
            Failure = e; // reported as a failed check, never lost
        }
        finally
        {
            _paused = true;
        }
    }

    /// <summary>Processes the generated packets due by <paramref name="nowUs"/>, at most a few thousand per decision.</summary>
    private int RunGenerated(Decider decider, byte[] buffer, ref TrafficPacket pending, ref bool havePending, long nowUs)
    {
        int processed = 0;
        while (processed < 4096)
        {
            if (!havePending)
            {
                havePending = _generator!.TryNext(buffer, out pending);
                if (!havePending)
                {
                    break;
                }
            }

            if (pending.TimestampUs > nowUs)
            {
                break;
            }

            _output.Current = pending;
            decider.Pipeline.Process(buffer.AsSpan(0, pending.Length), pending.TimestampUs * 1000);
            havePending = false;
            processed++;
        }

        return processed;
    }

    private int RunCapture(Decider decider, long nowUs)
    {
        int processed = 0;
        while (_captureNext < _capture!.Count && _capture[_captureNext].AtUs <= nowUs && processed < 4096)
        {
            var (atUs, frame) = _capture[_captureNext++];
            decider.Pipeline.Process(frame, atUs * 1000);
            processed++;
        }

        return processed;
    }

    /// <summary>The capture's Ethernet frames, spread evenly over the first 90% of the run so the failover falls in it.</summary>
    private static List<(long AtUs, byte[] Frame)> LoadCapture(string path, TimeSpan duration)
    {
        var frames = new List<byte[]>();
        using (var reader = CaptureReader.Open(path))
        {
            while (reader.TryRead(out var record))
            {
                if (record.LinkType == LinkTypes.Ethernet)
                {
                    frames.Add(record.Data.ToArray());
                }
            }
        }

        double spacingUs = duration.TotalMicroseconds * 0.9 / Math.Max(1, frames.Count);
        return [.. frames.Select((f, i) => ((long)(i * spacingUs), f))];
    }

    /// <summary>The deciding agent's pipeline and app.</summary>
    private sealed class Decider(FlowPipeline pipeline, NatGateway? gateway, ISlowPath app, HaNode ha) : IDisposable
    {
        public FlowPipeline Pipeline => pipeline;

        public HaNode Ha => ha;

        public long Created => gateway?.Counters.ConnectionsCreated ?? pipeline.Counters.SlowPathCreated;

        public long Aged => gateway?.Counters.AgedRemoved ?? 0;

        public long Closed => gateway?.Counters.ClosedRemoved ?? pipeline.Counters.ConnectionsClosed;

        public long PortsFreed => gateway?.Counters.PortsFreed ?? 0;

        public long Exhausted => gateway?.Counters.RefusedPortExhausted ?? 0;

        public long PortsInUse => gateway?.Counters.PortsInUse ?? 0;

        public void Dispose() => (app as IDisposable)?.Dispose();
    }

    /// <summary>Counts emitted frames and hands each translated request to the generator, which answers it as the far end would.</summary>
    private sealed class ReplyFeedback(TrafficGenerator? generator) : IPacketOutput
    {
        public TrafficPacket Current { get; set; }

        public void Write(long timestampNanoseconds, ReadOnlySpan<byte> frame)
        {
            if (generator is not null && Current.Direction == TrafficDirection.Request)
            {
                generator.Observe(Current.ConnectionId, frame);
            }
        }
    }
}
