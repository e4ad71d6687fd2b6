namespace DashFlow.Dataplane.Tests;

/// <summary>The shared real captures (../shared/traces next to the repository), when present.</summary>
internal static class Traces
{
    private static readonly Lazy<string?> s_directory = new(Find);

    /// <summary>The traces directory, or null (a fresh clone has none).</summary>
    public static string? Directory => s_directory.Value;

    /// <summary>Packets per file, from the table in the traces' README.md.</summary>
    public static readonly IReadOnlyDictionary<string, int> PacketCounts = new Dictionary<string, int>
    {
        ["stopddos__pkt.TCP.synflood.spoofed.pcap"] = 37841,
        ["stopddos__amp.TCP.reflection.SYNACK.pcap"] = 8000,
        ["stopddos__amp.UDP.bacnet.IOT.37810.pcapng"] = 9617,
        ["zeek__echo-connections.pcap"] = 82582,
        ["ndpi__gnutella.pcap"] = 3905,
        ["ndpi__1kxun.pcap"] = 1723,
        ["ndpi__reddit.pcap"] = 1942,
        ["ndpi__synscan.pcap"] = 2011,
        ["ndpi__alexa-app.pcapng"] = 3103,
        ["ndpi__vxlan.pcap"] = 127,
        ["suricata-verify__vxlan-decoder-03.pcap"] = 100,
        ["zeek__vxlan-overlapping-http-get.pcap"] = 42,
        ["flowtest__vxlan.pcap"] = 8,
        ["zeek__wikipedia.pcap"] = 136,
        ["communityid__combined.pcap"] = 68,
        ["flowtest__http_get.pcap"] = 40,
        ["flowtest__tls12.pcap"] = 26,
        ["flowtest__ipv4-udp-fragmented.pcap"] = 8,
        ["flowtest__ipv6-udp-fragmented.pcap"] = 6,
        ["zeek__tcp-syn-then-rst.pcap"] = 2,
        ["zeek__tcp-fin_retransmission.pcap"] = 5,
        ["zeek__tcp-handshake-reorder.pcap"] = 14,
    };

    /// <summary>Innermost L4 protocol counts from the README (for VXLAN traces the inner counts plus any plain frames;
    /// non-first fragments, which the README counts as "other", are left out here too), and the VNIs it lists.</summary>
    public static readonly IReadOnlyDictionary<string, (int Tcp, int Udp, int Icmp, int IcmpV6, uint[] Vnis)> Expected =
        new Dictionary<string, (int, int, int, int, uint[])>
        {
            ["stopddos__pkt.TCP.synflood.spoofed.pcap"] = (37841, 0, 0, 0, []),
            ["stopddos__amp.TCP.reflection.SYNACK.pcap"] = (7679, 163, 153, 0, []),
            ["stopddos__amp.UDP.bacnet.IOT.37810.pcapng"] = (0, 9462, 155, 0, []),
            ["zeek__echo-connections.pcap"] = (82582, 0, 0, 0, []),
            ["ndpi__gnutella.pcap"] = (2149, 1692, 8, 21, []),
            ["ndpi__1kxun.pcap"] = (1381, 342, 0, 0, []),
            ["ndpi__reddit.pcap"] = (1942, 0, 0, 0, []),
            ["ndpi__synscan.pcap"] = (2011, 0, 0, 0, []),
            ["ndpi__alexa-app.pcapng"] = (2993, 65, 2, 12, []),
            ["ndpi__vxlan.pcap"] = (119, 8, 0, 0, [1111]),
            ["suricata-verify__vxlan-decoder-03.pcap"] = (82, 18, 0, 0, [5569041]),
            ["zeek__vxlan-overlapping-http-get.pcap"] = (14 + 28, 0, 0, 0, [4242, 4711]),
            ["flowtest__vxlan.pcap"] = (0, 0, 8, 0, [123]),
            ["zeek__wikipedia.pcap"] = (78, 48, 0, 0, []),
            ["communityid__combined.pcap"] = (29, 2, 4, 20, []),
            ["flowtest__http_get.pcap"] = (40, 0, 0, 0, []),
            ["flowtest__tls12.pcap"] = (26, 0, 0, 0, []),
            ["flowtest__ipv4-udp-fragmented.pcap"] = (0, 5, 0, 0, []),
            ["flowtest__ipv6-udp-fragmented.pcap"] = (0, 3, 0, 0, []),
            ["zeek__tcp-syn-then-rst.pcap"] = (2, 0, 0, 0, []),
            ["zeek__tcp-fin_retransmission.pcap"] = (5, 0, 0, 0, []),
            ["zeek__tcp-handshake-reorder.pcap"] = (14, 0, 0, 0, []),
        };

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var name in PacketCounts.Keys.Order(StringComparer.Ordinal))
        {
            data.Add(name);
        }

        return data;
    }

    private static string? Find()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("DASHFLOW_TRACES");
        if (!string.IsNullOrEmpty(fromEnvironment) && System.IO.Directory.Exists(fromEnvironment))
        {
            return fromEnvironment;
        }

        // The repository root holds DashFlow.slnx; the traces sit beside the repository in ../shared/traces.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DashFlow.slnx")))
            {
                var candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "traces"));
                if (System.IO.Directory.Exists(candidate))
                {
                    return candidate;
                }

                break;
            }
        }

        return System.IO.Directory.Exists("/work/shared/traces") ? "/work/shared/traces" : null;
    }
}
