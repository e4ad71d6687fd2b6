using System.CommandLine;
using DashFlow.Api;
using DashFlow.Dataplane.Apps.NatGateway;
using DashFlow.Dataplane.Apps.Observe;
using DashFlow.Dataplane.Capture;
using DashFlow.Dataplane.Output;
using DashFlow.Dataplane.Pipeline;
using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Cli.Commands.Replay;

/// <summary>
/// <c>dashflow replay PCAP [--app observe|nat-gateway] [--nat-config FILE] [--learn all|dash] [--teardown on|off] [--ttl MS]
/// [--tcp-close both|first-fin] [--out OUT.pcap] [--dump FLOWS.jsonl.gz] [--json]</c>: runs the data plane on a capture,
/// with packet time as the clock, and reports what it did.
/// </summary>
public static class ReplayCommand
{
    /// <summary>The ENI every replayed packet belongs to (one ENI per replay).</summary>
    public const string DefaultEniMac = "02:00:00:00:00:01";

    public static Command Create(TextWriter output, TextWriter error)
    {
        var pcap = new Argument<FileInfo>("PCAP") { Description = "A pcap or pcapng capture (format by magic number)." };
        var app = new Option<string>("--app") { Description = "The slow-path app: observe learns every connection; nat-gateway translates (SNAT per VNET, DNAT to backends).", DefaultValueFactory = _ => "observe" };
        app.AcceptOnlyFromAmong([.. ReplayAppFactory.Apps.Keys]);
        var natConfig = new Option<FileInfo>("--nat-config")
        {
            HelpName = "FILE",
            Description = "nat-gateway: the gateway's JSON configuration (see docs/nat-gateway.md). Default: the generated NAT workload's "
                + "(VNETs 101-103 SNAT to 203.0.113.1-3; 203.0.113.100 TCP 443 and UDP 53 DNAT to backends in VNET 200; untunnelled packets are the internet side).",
        };
        var learn = new Option<string>("--learn") { Description = "observe: all: any packet starts a connection; dash: only TCP SYN, UDP, ICMP echo (nat-gateway always learns as dash).", DefaultValueFactory = _ => "all" };
        learn.AcceptOnlyFromAmong("all", "dash");
        var teardown = new Option<string>("--teardown") { Description = "on: TCP FIN/RST remove connections; off: only aging does.", DefaultValueFactory = _ => "on" };
        teardown.AcceptOnlyFromAmong("on", "off");
        var ttl = new Option<uint>("--ttl") { HelpName = "MS", Description = "Idle TTL in ms of packet time (0 = never age).", DefaultValueFactory = _ => 30_000 };
        var tcpClose = new Option<string>("--tcp-close") { Description = "both: remove after FIN in both directions (D18); first-fin: on the first FIN (DASH reference).", DefaultValueFactory = _ => "both" };
        tcpClose.AcceptOnlyFromAmong("both", "first-fin");
        var outFile = new Option<FileInfo>("--out") { HelpName = "OUT.pcap", Description = "Write emitted frames to this pcap." };
        var dump = new Option<FileInfo>("--dump") { HelpName = "FLOWS.jsonl.gz", Description = "Write the final table as a SONiC flow dump (FILE.jsonl or FILE.jsonl.gz)." };
        var maxFlows = new Option<uint>("--max-flows") { HelpName = "N", Description = "Table size (0 = from the capture's size)." };
        var eniMac = new Option<string>("--eni-mac") { HelpName = "MAC", Description = "The ENI MAC of the flow keys.", DefaultValueFactory = _ => DefaultEniMac };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("replay", "Run the data plane and a slow-path app on a capture, with packet time as the clock.")
        {
            pcap, app, natConfig, learn, teardown, ttl, tcpClose, outFile, dump, maxFlows, eniMac, json,
        };
        command.SetAction(parse =>
        {
            if (!MacAddress.TryParse(parse.GetValue(eniMac), out var mac))
            {
                error.WriteLine($"dashflow: --eni-mac: '{parse.GetValue(eniMac)}' is not a MAC address (expected aa:bb:cc:dd:ee:ff)");
                return ExitCodes.Usage;
            }

            var settings = new ReplaySettings(parse.GetValue(pcap)!, parse.GetValue(app)!, parse.GetValue(learn) == "all" ? ObserveLearnMode.All : ObserveLearnMode.Dash,
                parse.GetValue(teardown) == "on", parse.GetValue(tcpClose) == "first-fin" ? TcpCloseMode.FirstFin : TcpCloseMode.Both, parse.GetValue(ttl),
                parse.GetValue(outFile), parse.GetValue(dump), parse.GetValue(maxFlows), mac, parse.GetValue(natConfig));
            return Run(settings, parse.GetValue(json), output, error);
        });
        return command;
    }

    private sealed record ReplaySettings(FileInfo Pcap, string App, ObserveLearnMode Learn, bool Teardown, TcpCloseMode TcpClose, uint TtlMs,
        FileInfo? Out, FileInfo? Dump, uint MaxFlows, MacAddress EniMac, FileInfo? NatConfig);

    private static int Run(ReplaySettings settings, bool json, TextWriter output, TextWriter error)
    {
        CaptureReader reader;
        try
        {
            reader = CaptureReader.Open(settings.Pcap.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"dashflow: {settings.Pcap.Name}: {e.Message}");
            return ExitCodes.LocalError;
        }

        using (reader)
        {
            using var api = new FlowApi(new FlowApiOptions { Clock = FlowClock.Manual() });
            uint capacity = settings.MaxFlows != 0 ? settings.MaxFlows : (uint)Math.Clamp(settings.Pcap.Length / 30, 4096, 16L << 20);
            var status = api.CreateFlowTable(out var table,
            [
                SaiAttribute.U32(FlowTableAttr.MaxFlowCount, capacity),
                SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, (int)FlowEnabledKey.All),
                SaiAttribute.U32(FlowTableAttr.FlowTtlInMilliseconds, settings.TtlMs),
            ]);
            if (status != SaiStatus.Success)
            {
                error.WriteLine($"dashflow: --max-flows {capacity}: the flow table was refused ({status.Describe()})");
                return ExitCodes.Usage;
            }

            var slowPath = ReplayAppFactory.Create(settings.App, new ReplayAppContext(api, table, settings.Learn, settings.NatConfig), out var problem);
            if (slowPath is null)
            {
                error.WriteLine($"dashflow: {problem}");
                return ExitCodes.Usage;
            }

            try
            {
                return Replay(settings, json, api, table, slowPath, reader, output, error);
            }
            finally
            {
                (slowPath as IDisposable)?.Dispose();
            }
        }
    }

    private static int Replay(ReplaySettings settings, bool json, FlowApi api, FlowTableId table, ISlowPath slowPath, CaptureReader reader,
        TextWriter output, TextWriter error)
    {
        PcapPacketOutput? pcapOut = null;
        try
        {
            pcapOut = settings.Out is null ? null : PcapPacketOutput.Create(settings.Out.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"dashflow: --out: {e.Message}");
            return ExitCodes.LocalError;
        }

        using (pcapOut)
        {
            var gateway = slowPath as NatGateway;
            var pipeline = new FlowPipeline(api, slowPath, pcapOut ?? (IPacketOutput)new CountingPacketOutput(), new PipelineOptions
            {
                Table = table,
                EniMac = settings.EniMac,
                Teardown = settings.Teardown,
                TcpClose = settings.TcpClose,
                UntunnelledVnetId = gateway?.Options.OutsideVnetId ?? 0, // the internet side of the gateway
                AgingTickMs = gateway?.Options.AgingTickMs ?? 1000,
            });
            TimeSpan elapsed;
            try
            {
                elapsed = CaptureReplay.Run(reader, pipeline);
            }
            catch (CaptureFormatException e)
            {
                error.WriteLine($"dashflow: {e.Message}");
                return ExitCodes.LocalError;
            }

            long dumped = -1;
            if (settings.Dump is not null)
            {
                try
                {
                    dumped = FlowDumpFile.Write(pipeline.Table, settings.Dump.FullName);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    error.WriteLine($"dashflow: --dump: {e.Message}");
                    return ExitCodes.LocalError;
                }
            }

            var counters = pipeline.Table.Counters;
            var report = new ReplayReport
            {
                File = settings.Pcap.Name,
                App = slowPath.Name,
                Learn = slowPath.LearnsAnyPacket ? "all" : "dash", // nat-gateway learns as DASH whatever --learn says
                Teardown = settings.Teardown,
                TcpClose = settings.TcpClose == TcpCloseMode.FirstFin ? "first-fin" : "both",
                TtlMs = settings.TtlMs,
                Counters = pipeline.Counters,
                FlowsCreated = counters.Created,
                FlowsRemoved = counters.Removed,
                FlowsAged = counters.Aged,
                Census = ConnectionCensus.Take(pipeline.Table),
                ConnectionsLearned = slowPath is ObserveApp observe ? observe.ConnectionsLearned : 0,
                Nat = gateway?.Counters,
                FlowsDumped = dumped,
                Elapsed = elapsed,
            };
            output.WriteLine(json ? report.ToJson() : report.ToText());
            return ExitCodes.Ok;
        }
    }
}
