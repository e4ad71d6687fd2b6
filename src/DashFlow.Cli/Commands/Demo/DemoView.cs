using System.Globalization;
using DashFlow.Cli.Client;
using DashFlow.Demo;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DashFlow.Cli.Commands.Demo;

/// <summary>Shows a running demo: a live Spectre view on a terminal, a plain progress line every two seconds when piped.</summary>
internal static class DemoView
{
    private static readonly TimeSpan LiveInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(2);

    /// <summary>Renders <paramref name="snapshot"/> until <paramref name="done"/> completes.</summary>
    public static Task ShowAsync(TextWriter output, Func<DemoSnapshot> snapshot, Task done) =>
        ConsoleOutput.IsTerminal(output) ? ShowLiveAsync(output, snapshot, done) : ShowLinesAsync(output, snapshot, done);

    /// <summary>One progress line: phase, time, roles and figures.</summary>
    public static string Line(DemoSnapshot s) => string.Create(CultureInfo.InvariantCulture,
        $"[{s.ElapsedSeconds,5:F1}s] {Phase(s.Phase),-12} {string.Join("  ", s.Agents.Select(a => $"{a.Name} {a.Role} {a.Flows:N0} flows"))}  new/s {s.ConnectionsPerSecond:N0}  learned {s.ConnectionsLearned:N0}  sync lag {s.SyncLag:N0}  aged {s.FlowsAged:N0}  ports {s.PortsInUse:N0}");

    private static async Task ShowLinesAsync(TextWriter output, Func<DemoSnapshot> snapshot, Task done)
    {
        while (await Task.WhenAny(done, Task.Delay(LineInterval)).ConfigureAwait(false) != done)
        {
            output.WriteLine(Line(snapshot()));
        }
    }

    private static Task ShowLiveAsync(TextWriter output, Func<DemoSnapshot> snapshot, Task done) =>
        ConsoleOutput.For(output).Live(Render(snapshot())).AutoClear(false).StartAsync(async context =>
        {
            while (await Task.WhenAny(done, Task.Delay(LiveInterval)).ConfigureAwait(false) != done)
            {
                context.UpdateTarget(Render(snapshot()));
            }

            context.UpdateTarget(Render(snapshot()));
        });

    private static IRenderable Render(DemoSnapshot s)
    {
        var agents = new Spectre.Console.Table().Border(TableBorder.Rounded).AddColumns("agent", "HA state", "flows");
        foreach (var agent in s.Agents)
        {
            agents.AddRow(agent.Name, Colour(agent.Role), agent.Flows.ToString("N0", CultureInfo.InvariantCulture));
        }

        var figures = new Spectre.Console.Table().Border(TableBorder.Rounded).AddColumns("figure", "value");
        figures.AddRow("new connections/s", s.ConnectionsPerSecond.ToString("N0", CultureInfo.InvariantCulture));
        figures.AddRow("connections learned", s.ConnectionsLearned.ToString("N0", CultureInfo.InvariantCulture));
        figures.AddRow("inline sync lag", s.SyncLag.ToString("N0", CultureInfo.InvariantCulture));
        figures.AddRow("flows aged", s.FlowsAged.ToString("N0", CultureInfo.InvariantCulture));
        figures.AddRow("SNAT ports in use", s.PortsInUse.ToString("N0", CultureInfo.InvariantCulture));
        var header = new Markup(string.Create(CultureInfo.InvariantCulture, $"[bold]DashFlow demo[/]  phase [yellow]{Phase(s.Phase)}[/]  {s.ElapsedSeconds:F1} s"));
        return new Rows(header, new Columns(agents, figures));
    }

    private static string Colour(string role) => role switch
    {
        "Active" or "Standalone" => $"[green]{role}[/]",
        "Standby" => $"[blue]{role}[/]",
        "down" => $"[red]{role}[/]",
        _ => $"[yellow]{Markup.Escape(role)}[/]",
    };

    private static string Phase(DemoPhase phase) => phase switch
    {
        DemoPhase.Starting => "starting",
        DemoPhase.Learning => "learning",
        DemoPhase.FailingOver => "failover",
        DemoPhase.CarryingOn => "carrying on",
        DemoPhase.Recovering => "recovering",
        DemoPhase.Checking => "checking",
        _ => "done",
    };
}
