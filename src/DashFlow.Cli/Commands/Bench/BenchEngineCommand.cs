using System.CommandLine;
using System.Globalization;
using DashFlow.Bench.Engine;

namespace DashFlow.Cli.Commands.Bench;

/// <summary><c>dashflow bench engine --flows N[,N...] [--json]</c>: the single-thread engine benchmark.</summary>
public static class BenchEngineCommand
{
    public static Command Create(TextWriter output, TextWriter error) => TableSizeBenchCommand.Create(
        "engine",
        "Insert, lookup, batched lookup and delete rates, bytes per flow and full-GC pause.",
        "1000000,4000000,16000000",
        $"{"flows",12} {"insert M/s",11} {"lookup M/s",11} {"batch M/s",10} {"delete M/s",11} {"B/flow",8} {"full GC ms",11}",
        size =>
        {
            var r = EngineBenchmark.Run(size);
            return (r.ToJson(), string.Create(CultureInfo.InvariantCulture,
                $"{r.Flows,12} {r.InsertMops,11:F2} {r.LookupMops,11:F2} {r.BatchLookupMops,10:F2} {r.DeleteMops,11:F2} {r.BytesPerFlow,8:F1} {r.GcPauseMs,11:F2}"));
        },
        output,
        error);
}
