using DashFlow.Dataplane.Capture;
using DashFlow.Dataplane.Packets;
using PacketDotNet;
using Xunit.Abstractions;

namespace DashFlow.Dataplane.Tests;

public sealed class TraceTests(ITestOutputHelper output)
{
    [Fact]
    public void EveryFileInTheTracesDirectory_IsInTheTable()
    {
        if (Traces.Directory is null)
        {
            output.WriteLine("skipped: no ../shared/traces beside the repository.");
            return;
        }

        var files = Directory.EnumerateFiles(Traces.Directory).Select(Path.GetFileName).Where(f => f != "README.md").Order(StringComparer.Ordinal);
        Assert.Equal(Traces.PacketCounts.Keys.Order(StringComparer.Ordinal), files);
    }

    [Theory]
    [MemberData(nameof(Traces.Names), MemberType = typeof(Traces))]
    public void Trace_IsReadFully_AndEveryFrameParsesOrIsDroppedWithAReason(string name)
    {
        if (Traces.Directory is null)
        {
            output.WriteLine($"skipped: no ../shared/traces beside the repository (set DASHFLOW_TRACES to run {name}).");
            return;
        }

        var path = Path.Combine(Traces.Directory, name);
        var drops = new SortedDictionary<DropReason, int>();
        var outer = new SortedDictionary<string, int>();
        var inner = new SortedDictionary<string, int>();
        var oracle = new SortedDictionary<string, int>();
        var flags = new SortedDictionary<string, int>();
        var innerWithPorts = new SortedDictionary<string, int>();
        var vnis = new SortedSet<uint>();
        long frames = 0;
        int oracleFailures = 0;
        int compared = 0;
        using (var reader = CaptureReader.Open(path))
        {
            while (reader.TryRead(out var record))
            {
                frames++;
                Assert.Equal(LinkTypes.Ethernet, record.LinkType);
                var drop = PacketParser.Parse(record.Data, out var p);
                if (drop != DropReason.None)
                {
                    drops[drop] = drops.GetValueOrDefault(drop) + 1;
                }
                else
                {
                    Count(inner, Name(p.IpProtocol, p.IsIpv6));
                    if (!p.IsNonFirstFragment)
                    {
                        Count(innerWithPorts, Name(p.IpProtocol, p.IsIpv6));
                    }

                    if (p.TunnelKind != TunnelKind.None)
                    {
                        vnis.Add(p.TunnelId);
                    }

                    foreach (var flag in Enum.GetValues<PacketFlags>().Where(f => f != PacketFlags.None && (p.Flags & f) != 0))
                    {
                        Count(flags, flag.ToString());
                    }
                }

                if (p.Outer.L3Offset >= 0)
                {
                    Count(outer, Name(p.Outer.L4Protocol, p.Outer.IpVersion == 6));
                }

                var (ip, innermost, transport, failed) = DecodeWithPacketDotNet(record.Data.ToArray());
                oracleFailures += failed ? 1 : 0;
                if (ip is not null)
                {
                    Count(oracle, Name((byte)ip.Protocol, ip is IPv6Packet));
                }

                if (drop == DropReason.None)
                {
                    // The innermost IP packet as PacketDotNet decodes it (through VXLAN too) has our key's fields.
                    Assert.NotNull(innermost);
                    Assert.Equal(innermost.SourceAddress, p.SrcIp.ToIPAddress());
                    Assert.Equal(innermost.DestinationAddress, p.DstIp.ToIPAddress());
                    Assert.Equal((byte)innermost.Protocol, p.IpProtocol);
                    if (transport is not null && !p.IsNonFirstFragment)
                    {
                        Assert.Equal((transport.SourcePort, transport.DestinationPort), (p.SrcPort, p.DstPort));
                        compared++;
                    }
                }
            }
        }

        output.WriteLine($"{name}: {frames} frames");
        output.WriteLine($"  outer L4 (ours):         {Show(outer)}");
        output.WriteLine($"  outer L4 (PacketDotNet): {Show(oracle)}  ({oracleFailures} frames it could not parse)");
        output.WriteLine($"  innermost L4 (ours):     {Show(inner)}; ports equal to PacketDotNet's in {compared} frames");
        output.WriteLine($"  flags:                   {Show(flags)}");
        output.WriteLine($"  VNIs:                    {string.Join(", ", vnis)}");
        output.WriteLine($"  drops:                   {Show(drops.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value))}");
        Assert.Equal(Traces.PacketCounts[name], frames);
        var expected = Traces.Expected[name];
        Assert.Equal(
            (expected.Tcp, expected.Udp, expected.Icmp, expected.IcmpV6),
            (innerWithPorts.GetValueOrDefault("tcp"), innerWithPorts.GetValueOrDefault("udp"), innerWithPorts.GetValueOrDefault("icmp"), innerWithPorts.GetValueOrDefault("icmpv6")));
        Assert.Equal(expected.Vnis, vnis.ToArray());
        // Every outermost IP protocol (TCP, UDP, ICMP, ICMPv6, IGMP, SCTP, RSVP, ...) is counted as PacketDotNet counts it.
        Assert.Equal(Show(oracle), Show(outer));
    }

    [Theory]
    [InlineData("ndpi__gnutella.pcap", 8)]
    [InlineData("ndpi__alexa-app.pcapng", 2)]
    public void IcmpErrors_QuoteFlowsSeenInTheTrace(string name, int errors)
    {
        if (Traces.Directory is null)
        {
            output.WriteLine("skipped: no ../shared/traces.");
            return;
        }

        var flows = new HashSet<DashFlow.Model.FlowKey>();
        var quoted = new List<DashFlow.Model.FlowKey>();
        using (var reader = CaptureReader.Open(Path.Combine(Traces.Directory, name)))
        {
            while (reader.TryRead(out var record))
            {
                if (PacketParser.Parse(record.Data, out var p) != DropReason.None)
                {
                    continue;
                }

                if (p.IsIcmpError)
                {
                    Assert.True((p.Flags & PacketFlags.HasQuoted) != 0);
                    quoted.Add(p.Quoted.ToFlowKey(default, 0));
                }
                else
                {
                    flows.Add(p.ToFlowKey(default, 0));
                }
            }
        }

        // The quote is the offending packet as it was sent: its key is the key of a flow the trace carries.
        Assert.Equal(errors, quoted.Count);
        Assert.All(quoted, key => Assert.Contains(key, flows));
    }

    /// <summary>PacketDotNet decodes lazily and throws on frames it cannot read: every access happens in here.</summary>
    private static (IPPacket? Outer, IPPacket? Innermost, TransportPacket? Transport, bool Failed) DecodeWithPacketDotNet(byte[] frame)
    {
        try
        {
            var top = Packet.ParsePacket(LinkLayers.Ethernet, frame);
            IPPacket? innermost = null;
            for (var layer = top; layer is not null; layer = layer.PayloadPacket)
            {
                innermost = layer as IPPacket ?? innermost;
            }

            return (top.Extract<IPPacket>(), innermost, innermost?.PayloadPacket as TransportPacket, false);
        }
        catch (Exception)
        {
            return (null, null, null, true);
        }
    }

    private static void Count<TKey>(SortedDictionary<TKey, int> counts, TKey key)
        where TKey : notnull => counts[key] = counts.GetValueOrDefault(key) + 1;

    private static string Name(byte protocol, bool v6) => protocol switch
    {
        IpProtocols.Tcp => "tcp",
        IpProtocols.Udp => "udp",
        IpProtocols.Icmp => "icmp",
        IpProtocols.IcmpV6 => "icmpv6",
        _ => $"proto{protocol}",
    };

    private static string Show<TKey>(IDictionary<TKey, int> counts)
        where TKey : notnull => counts.Count == 0 ? "-" : string.Join(", ", counts.Select(kv => $"{kv.Key} {kv.Value}"));
}
