using System.CommandLine;
using System.Globalization;
using DashFlow.Bench.Agent;

namespace DashFlow.Cli.Commands.Bench;

/// <summary><c>dashflow bench agent --flows N [--json]</c>: a real agent on loopback: list 10 matching flows, remote bulk
/// create, and a full dump over gRPC into a receiver.</summary>
public static class BenchAgentCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var flows = new Option<int>("--flows") { Description = "Flows loaded into the agent.", DefaultValueFactory = _ => 1_000_000 };
        var json = new Option<bool>("--json") { Description = "Print one JSON line." };
        var command = new Command("agent", "Agent figures: list10_ms, remote_create_mflows_s, dump_mflows_s.") { flows, json };
        command.SetAction(async (parse, cancellation) =>
        {
            int n = parse.GetValue(flows);
            if (n < 10_000 || n > 64_000_000)
            {
                error.WriteLine($"dashflow: --flows takes 10000 to 64000000, not {n}");
                return ExitCodes.Usage;
            }

            var result = await AgentBenchmark.RunAsync(n).ConfigureAwait(false);
            output.WriteLine(parse.GetValue(json)
                ? result.ToJson()
                : string.Create(CultureInfo.InvariantCulture, $"flows {result.Flows}: list 10 matching {result.List10Ms:F1} ms, remote create {result.RemoteCreateMflowsS:F2} M flows/s, dump {result.DumpMflowsS:F2} M flows/s"));
            return ExitCodes.Ok;
        });
        return command;
    }
}
