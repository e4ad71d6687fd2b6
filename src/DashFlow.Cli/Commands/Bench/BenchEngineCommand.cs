using System.CommandLine;
using System.Globalization;
using DashFlow.Bench.Engine;

namespace DashFlow.Cli.Commands.Bench;

/// <summary><c>dashflow bench engine --flows N[,N...] [--json]</c>: the single-thread engine benchmark.</summary>
public static class BenchEngineCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var flows = new Option<string>("--flows")
        {
            Description = "Table sizes to measure, comma separated (e.g. 1000000,4000000,16000000).",
            DefaultValueFactory = _ => "1000000",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON line per table size." };
        var command = new Command("engine", "Insert, lookup, batched lookup and delete rates, bytes per flow and full-GC pause.")
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
            output.WriteLine($"{"flows",12} {"insert M/s",11} {"lookup M/s",11} {"batch M/s",10} {"delete M/s",11} {"B/flow",8} {"full GC ms",11}");
        }

        foreach (int size in sizes)
        {
            var result = EngineBenchmark.Run(size);
            output.WriteLine(json
                ? result.ToJson()
                : string.Create(CultureInfo.InvariantCulture,
                    $"{result.Flows,12} {result.InsertMops,11:F2} {result.LookupMops,11:F2} {result.BatchLookupMops,10:F2} {result.DeleteMops,11:F2} {result.BytesPerFlow,8:F1} {result.GcPauseMs,11:F2}"));
        }

        return ExitCodes.Ok;
    }
}
