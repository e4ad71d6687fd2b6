using System.CommandLine;
using System.Globalization;
using DashFlow.Demo;

namespace DashFlow.Cli.Commands.Demo;

/// <summary>
/// <c>dashflow demo</c>: two agents as an HA pair, the NAT gateway on generated traffic (or a capture), aging, a failover
/// in mid-traffic and the failed agent's return, then both tables compared. Exit code 2 when any check fails.
/// </summary>
public static class DemoCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var defaults = new DemoOptions();
        var duration = new Option<double>("--duration") { Description = "Seconds of traffic.", DefaultValueFactory = _ => defaults.Duration.TotalSeconds };
        var cps = new Option<int>("--cps") { Description = "New connections per second offered.", DefaultValueFactory = _ => defaults.ConnectionsPerSecond };
        var flows = new Option<int>("--flows") { Description = "MAX_FLOW_COUNT of each agent's table.", DefaultValueFactory = _ => defaults.MaxFlows };
        var seed = new Option<int>("--seed") { Description = "Seed of the traffic generator.", DefaultValueFactory = _ => defaults.Seed };
        var pcap = new Option<FileInfo?>("--pcap") { Description = "Drive the demo with a capture (pcap or pcapng) instead of the generator." };
        var json = new Option<bool>("--json") { Description = "Print the report as one JSON object." };
        var command = new Command("demo", "The whole system end to end: NAT gateway, inline sync, aging, failover and recovery, checked.")
        {
            duration,
            cps,
            flows,
            seed,
            pcap,
            json,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var options = defaults with
            {
                Duration = TimeSpan.FromSeconds(parse.GetValue(duration)),
                ConnectionsPerSecond = parse.GetValue(cps),
                MaxFlows = parse.GetValue(flows),
                Seed = parse.GetValue(seed),
                PcapPath = parse.GetValue(pcap)?.FullName,
            };
            string? invalid = DemoRunner.Validate(options);
            if (invalid is not null)
            {
                error.WriteLine($"dashflow: {invalid}");
                return ExitCodes.Usage;
            }

            DemoReport report;
            try
            {
                await using var runner = new DemoRunner(options);
                var run = runner.RunAsync(cancellation);
                await DemoView.ShowAsync(output, runner.Snapshot, run).ConfigureAwait(false);
                report = await run.ConfigureAwait(false);
            }
            catch (IOException e)
            {
                error.WriteLine($"dashflow: {e.Message}");
                return ExitCodes.LocalError;
            }

            if (parse.GetValue(json))
            {
                output.WriteLine(report.ToJson());
            }
            else
            {
                WriteReport(output, report);
            }

            return report.Passed ? ExitCodes.Ok : ExitCodes.CheckFailed;
        });
        return command;
    }

    private static void WriteReport(TextWriter output, DemoReport r)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"connections learned  {r.ConnectionsLearned:N0}   flows peak {r.FlowsPeak:N0}   packets {r.Packets:N0}"));
        output.WriteLine(string.Create(c, $"aged                 {r.FlowsAged:N0} flows, {r.PortsFreed:N0} ports freed ({r.PortsExhausted:N0} connections refused for want of a port)"));
        output.WriteLine(string.Create(c, $"HA                   {r.InlineSynced:N0} synced inline, failover in {r.FailoverMs:F0} ms, {r.BulkSynced:N0} bulk synced on recovery"));
        foreach (var check in r.Checks)
        {
            output.WriteLine($"{(check.Passed ? "PASS" : "FAIL")}  {check.Name}: {check.Detail}");
        }

        output.WriteLine(string.Create(c, $"{(r.Passed ? "demo passed" : "demo FAILED")} in {r.DurationS:F1} s"));
    }
}
