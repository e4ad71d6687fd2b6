using System.CommandLine;
using System.Globalization;
using DashFlow.Bench.BulkGet;

namespace DashFlow.Cli.Commands.Bench;

/// <summary><c>dashflow bench bulk-get --flows N[,N...] [--json]</c>: scan, EVENT delivery, protobuf and lookups-during-scan figures.</summary>
public static class BenchBulkGetCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var flows = new Option<string>("--flows")
        {
            Description = "Table sizes to measure, comma separated (e.g. 1000000,16000000).",
            DefaultValueFactory = _ => "1000000",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON line per table size." };
        var command = new Command("bulk-get", "Full-scan rate with 0 and 5 filters, EVENT delivery, protobuf encode/decode, lookups during a scan.")
        {
            flows,
            json,
        };
        command.SetAction(parse => Execute(parse.GetValue(flows)!, parse.GetValue(json), output, error));
        return command;
    }

    private static int Execute(string flowList, bool json, TextWriter output, TextWriter error)
    {
        var sizes = new List<int>();
        foreach (string part in flowList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int size) || size < 1024 || size > 100_000_000)
            {
                error.WriteLine($"dashflow: --flows takes sizes from 1024 to 100000000, not '{part}'.");
                return ExitCodes.Usage;
            }

            sizes.Add(size);
        }

        if (!json)
        {
            output.WriteLine($"{"flows",12} {"scan M/s",9} {"scan5 M/s",10} {"event M/s",10} {"pb enc M/s",11} {"pb dec M/s",11} {"pb B/flow",10} {"lookup ratio",13}");
        }

        foreach (int size in sizes)
        {
            var r = BulkGetBenchmark.Run(size);
            output.WriteLine(json
                ? r.ToJson()
                : string.Create(CultureInfo.InvariantCulture,
                    $"{r.Flows,12} {r.ScanMflows,9:F2} {r.Scan5Mflows,10:F2} {r.EventMflows,10:F2} {r.PbEncodeMflows,11:F2} {r.PbDecodeMflows,11:F2} {r.PbBytesPerFlow,10:F1} {r.LookupDuringScanRatio,13:F3}"));
        }

        return ExitCodes.Ok;
    }
}
