using System.CommandLine;
using System.Globalization;
using DashFlow.Bench.Dataplane;

namespace DashFlow.Cli.Commands.Bench;

/// <summary><c>dashflow bench dataplane --flows N[,N...] [--json]</c>: hit-path packets/s and NAT gateway connections/s.</summary>
public static class BenchDataplaneCommand
{
    public static Command Create(TextWriter output, TextWriter error) => TableSizeBenchCommand.Create(
        "dataplane",
        "Hit-path Mpps with ENCAP_U0 and bytes per packet, NAT gateway new connections and aged pairs per second.",
        "100000,1000000",
        $"{"flows",12} {"hit Mpps",9} {"B/packet",9} {"NAT conn/s",11} {"B/conn",7} {"aged pairs/s",13} {"hit path",9}",
        size =>
        {
            var r = DataplaneBenchmark.Run(size);
            return (r.ToJson(), string.Create(CultureInfo.InvariantCulture,
                $"{r.Flows,12} {r.HitMpps,9:F2} {r.HitAllocBytesPerPacket,9:F1} {r.NatCps,11:F0} {r.NatAllocBytesPerConnection,7:F1} {r.NatAgedPairsPerSecond,13:F0} {r.HitPath,9}"));
        },
        output,
        error);
}
