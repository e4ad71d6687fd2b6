using System.CommandLine;
using System.Globalization;

namespace DashFlow.Cli.Commands.Bench;

/// <summary>The shape every per-table-size benchmark command shares: <c>--flows N[,N...] [--json]</c>, one run per size,
/// a header and one row per size, or one JSON line per size.</summary>
internal static class TableSizeBenchCommand
{
    /// <summary>A command named <paramref name="name"/> that runs <paramref name="run"/> (JSON line, table row) per size.</summary>
    public static Command Create(string name, string description, string exampleSizes, string header, Func<int, (string Json, string Row)> run, TextWriter output, TextWriter error)
    {
        var flows = new Option<string>("--flows")
        {
            Description = $"Table sizes to measure, comma separated (e.g. {exampleSizes}).",
            DefaultValueFactory = _ => "1000000",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON line per table size." };
        var command = new Command(name, description) { flows, json };
        command.SetAction(parse =>
        {
            var sizes = new List<int>();
            foreach (string part in parse.GetValue(flows)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int size) || size < 1024 || size > 100_000_000)
                {
                    error.WriteLine($"dashflow: --flows takes sizes from 1024 to 100000000, not '{part}'.");
                    return ExitCodes.Usage;
                }

                sizes.Add(size);
            }

            bool asJson = parse.GetValue(json);
            if (!asJson)
            {
                output.WriteLine(header);
            }

            foreach (int size in sizes)
            {
                var (line, row) = run(size);
                output.WriteLine(asJson ? line : row);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
