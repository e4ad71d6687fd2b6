using System.Globalization;
using System.Text;
using System.Text.Json;
using DashFlow.Dataplane.Apps.NatGateway;
using DashFlow.Dataplane.Apps.Observe;
using DashFlow.Dataplane.Pipeline;

namespace DashFlow.Cli.Commands.Replay;

/// <summary>The outcome of one replay, printed as one JSON object (<c>--json</c>) or as a readable summary.</summary>
public sealed record ReplayReport
{
    /// <summary>The protocols every report lists, present or not.</summary>
    private static readonly string[] s_mainProtocols = ["tcp", "udp", "icmp", "icmpv6"];

    public required string File { get; init; }

    public required string App { get; init; }

    public required string Learn { get; init; }

    public required bool Teardown { get; init; }

    public required string TcpClose { get; init; }

    public required uint TtlMs { get; init; }

    public required PipelineCounters Counters { get; init; }

    public required long FlowsCreated { get; init; }

    public required long FlowsRemoved { get; init; }

    public required long FlowsAged { get; init; }

    public required ConnectionCensus Census { get; init; }

    public long ConnectionsLearned { get; init; }

    public long FlowsDumped { get; init; } = -1;

    /// <summary>The NAT gateway's counters (<c>--app nat-gateway</c> only).</summary>
    public NatGatewayCounters? Nat { get; init; }

    public required TimeSpan Elapsed { get; init; }

    /// <summary>Packets per second of wall time.</summary>
    public double Pps => Elapsed.TotalSeconds > 0 ? Counters.Packets / Elapsed.TotalSeconds : 0;

    /// <summary>Connections by protocol name: tcp, udp, icmp and icmpv6 always, others when present.</summary>
    public SortedDictionary<string, long> ConnectionsByProto()
    {
        var byName = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var name in s_mainProtocols)
        {
            byName[name] = 0;
        }

        foreach (var (protocol, count) in Census.ByProtocol)
        {
            byName[ObserveApp.ProtocolName(protocol)] = count;
        }

        return byName;
    }

    /// <summary>One JSON object on one line.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("file", File);
            json.WriteString("app", App);
            json.WriteString("learn", Learn);
            json.WriteBoolean("teardown", Teardown);
            json.WriteString("tcp_close", TcpClose);
            json.WriteNumber("ttl_ms", TtlMs);
            json.WriteNumber("packets", Counters.Packets);
            json.WriteNumber("packets_parsed", Counters.Parsed);
            json.WriteNumber("packets_dropped", Counters.Dropped);
            json.WriteStartObject("drops");
            foreach (var (reason, count) in Counters.DropsByReason())
            {
                json.WriteNumber(reason, count);
            }

            json.WriteEndObject();
            json.WriteNumber("hits", Counters.Hits);
            json.WriteNumber("misses", Counters.Misses);
            json.WriteNumber("icmp_error_hits", Counters.IcmpErrorHits);
            json.WriteNumber("slow_path_created", Counters.SlowPathCreated);
            json.WriteNumber("slow_path_ignored", Counters.SlowPathIgnored);
            json.WriteNumber("slow_path_refused", Counters.SlowPathRefused);
            json.WriteNumber("emitted", Counters.Emitted);
            json.WriteNumber("flows_created", FlowsCreated);
            json.WriteNumber("flows_removed", FlowsRemoved);
            json.WriteNumber("flows_aged", FlowsAged);
            json.WriteNumber("flows_removed_by_teardown", Counters.FlowsRemovedByTeardown);
            json.WriteNumber("connections_closed", Counters.ConnectionsClosed);
            json.WriteNumber("connections_learned", ConnectionsLearned);
            json.WriteNumber("flow_entries", Census.Entries);
            json.WriteNumber("connections", Census.Connections);
            json.WriteStartObject("connections_by_proto");
            foreach (var (name, count) in ConnectionsByProto())
            {
                json.WriteNumber(name, count);
            }

            json.WriteEndObject();
            if (FlowsDumped >= 0)
            {
                json.WriteNumber("flows_dumped", FlowsDumped);
            }

            if (Nat is { } nat)
            {
                json.WriteStartObject("nat");
                json.WriteNumber("connections_created", nat.ConnectionsCreated);
                json.WriteNumber("snat_created", nat.SnatCreated);
                json.WriteNumber("dnat_created", nat.DnatCreated);
                json.WriteNumber("refused_no_rule", nat.RefusedNoRule);
                json.WriteNumber("refused_no_backend", nat.RefusedNoBackend);
                json.WriteNumber("refused_port_exhausted", nat.RefusedPortExhausted);
                json.WriteNumber("refused_create_failed", nat.RefusedCreateFailed);
                json.WriteNumber("ignored", nat.Ignored);
                json.WriteNumber("ports_in_use", nat.PortsInUse);
                json.WriteNumber("ports_freed", nat.PortsFreed);
                json.WriteNumber("aged_removed", nat.AgedRemoved);
                json.WriteNumber("closed_removed", nat.ClosedRemoved);
                json.WriteNumber("aging_passes", nat.AgingPasses);
                json.WriteEndObject();
            }

            json.WriteNumber("aging_ticks", Counters.ClockTicks);
            json.WriteNumber("elapsed_ms", Math.Round(Elapsed.TotalMilliseconds, 1));
            json.WriteNumber("pps", Math.Round(Pps));
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A readable summary, one fact per line.</summary>
    public string ToText()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"replay {File}: app {App}, learn {Learn}, teardown {(Teardown ? "on" : "off")} ({TcpClose}), ttl {TtlMs} ms");
        text.AppendLine(c, $"  packets    {Counters.Packets:N0} ({Counters.Parsed:N0} parsed, {Counters.Dropped:N0} dropped) in {Elapsed.TotalMilliseconds:N0} ms, {Pps:N0} pps");
        text.AppendLine(c, $"  lookups    {Counters.Hits:N0} hits, {Counters.Misses:N0} misses; slow path {Counters.SlowPathCreated:N0} created, {Counters.SlowPathIgnored:N0} ignored, {Counters.SlowPathRefused:N0} refused");
        text.AppendLine(c, $"  emitted    {Counters.Emitted:N0} frames");
        text.AppendLine(c, $"  flows      {FlowsCreated:N0} created, {FlowsRemoved:N0} removed ({Counters.FlowsRemovedByTeardown:N0} by TCP close), {FlowsAged:N0} aged");
        text.AppendLine(c, $"  at the end {Census.Entries:N0} flow entries, {Census.Connections:N0} connections ({string.Join(", ", ConnectionsByProto().Select(p => $"{p.Key} {p.Value:N0}"))})");
        var drops = Counters.DropsByReason();
        if (drops.Count > 0)
        {
            text.AppendLine(c, $"  drops      {string.Join(", ", drops.Select(d => $"{d.Key} {d.Value:N0}"))}");
        }

        if (Nat is { } nat)
        {
            text.AppendLine(c, $"  nat        {nat.SnatCreated:N0} SNAT + {nat.DnatCreated:N0} DNAT pairs, {nat.Refused:N0} refused, {nat.Ignored:N0} ignored; "
                + $"removed {nat.ClosedRemoved:N0} closed, {nat.AgedRemoved:N0} aged; {nat.PortsInUse:N0} ports in use");
        }

        if (FlowsDumped >= 0)
        {
            text.AppendLine(c, $"  dumped     {FlowsDumped:N0} flows");
        }

        return text.ToString().TrimEnd();
    }
}
