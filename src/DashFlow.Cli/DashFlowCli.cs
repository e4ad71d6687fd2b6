using System.CommandLine;
using System.CommandLine.Help;
using DashFlow.Cli.Commands.Bench;
using DashFlow.Cli.Commands.Caps;
using DashFlow.Cli.Commands.Demo;
using DashFlow.Cli.Commands.Flow;
using DashFlow.Cli.Commands.Ha;
using DashFlow.Cli.Commands.Receive;
using DashFlow.Cli.Commands.Replay;
using DashFlow.Cli.Commands.Serve;
using DashFlow.Cli.Commands.Session;
using DashFlow.Cli.Commands.Table;

namespace DashFlow.Cli;

/// <summary>Builds the <c>dashflow</c> command tree; each command lives in its own class under Commands/.</summary>
public static class DashFlowCli
{
    /// <summary>Parses and runs one command line; returns the process exit code (see <see cref="ExitCodes"/>).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        // A plain command named dashflow (not RootCommand, which takes its name from the host process: testhost under tests).
        var root = new Command("dashflow", "DashFlow: the SONiC DASH Flow API for DPUs and SmartSwitches.") { new HelpOption(), new VersionOption() };
        var bench = new Command("bench", "Throughput and memory benchmarks (JSON lines with --json).");
        bench.Subcommands.Add(BenchEngineCommand.Create(output, error));
        bench.Subcommands.Add(BenchBulkGetCommand.Create(output, error));
        bench.Subcommands.Add(BenchAgentCommand.Create(output, error));
        bench.Subcommands.Add(BenchDataplaneCommand.Create(output, error));
        bench.Subcommands.Add(BenchSyncCommand.Create(output, error));
        root.Subcommands.Add(bench);
        root.Subcommands.Add(DemoCommand.Create(output, error));
        root.Subcommands.Add(ServeCommand.Create(output, error));
        root.Subcommands.Add(CapsCommand.Create(output, error));
        root.Subcommands.Add(TableCommand.Create(output, error));
        root.Subcommands.Add(FlowCommand.Create(output, error));
        root.Subcommands.Add(ReceiveCommand.Create(output, error));
        root.Subcommands.Add(SessionCommand.Create(output, error));
        root.Subcommands.Add(ReplayCommand.Create(output, error));
        root.Subcommands.Add(HaCommand.Create(output, error));
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var parseError in parse.Errors)
            {
                error.WriteLine($"dashflow: {parseError.Message}");
            }

            return ExitCodes.Usage;
        }

        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }
}
