using System.CommandLine;
using System.Globalization;
using DashFlow.Bench.BulkGet;

namespace DashFlow.Cli.Commands.Bench;

/// <summary><c>dashflow bench bulk-get --flows N[,N...] [--json]</c>: scan, EVENT delivery, protobuf and lookups-during-scan figures.</summary>
public static class BenchBulkGetCommand
{
    public static Command Create(TextWriter output, TextWriter error) => TableSizeBenchCommand.Create(
        "bulk-get",
        "Full-scan rate with 0 and 5 filters, EVENT delivery, protobuf encode/decode, lookups during a scan.",
        "1000000,16000000",
        $"{"flows",12} {"scan M/s",9} {"scan5 M/s",10} {"event M/s",10} {"pb enc M/s",11} {"pb dec M/s",11} {"pb B/flow",10} {"lookup ratio",13}",
        size =>
        {
            var r = BulkGetBenchmark.Run(size);
            return (r.ToJson(), string.Create(CultureInfo.InvariantCulture,
                $"{r.Flows,12} {r.ScanMflows,9:F2} {r.Scan5Mflows,10:F2} {r.EventMflows,10:F2} {r.PbEncodeMflows,11:F2} {r.PbDecodeMflows,11:F2} {r.PbBytesPerFlow,10:F1} {r.LookupDuringScanRatio,13:F3}"));
        },
        output,
        error);
}
