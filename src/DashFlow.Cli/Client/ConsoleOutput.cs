using Spectre.Console;

namespace DashFlow.Cli.Client;

/// <summary>A Spectre console over the command's writer: colours and live widgets on a terminal, plain text when piped or captured.</summary>
public static class ConsoleOutput
{
    /// <summary>True when <paramref name="writer"/> is the process's own terminal (not piped, not captured).</summary>
    public static bool IsTerminal(TextWriter writer) => ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;

    /// <summary>A console writing to <paramref name="writer"/>; when it is not the process's own terminal, plain text 120 wide.</summary>
    public static IAnsiConsole For(TextWriter writer)
    {
        bool terminal = IsTerminal(writer);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal)
        {
            console.Profile.Width = 120;
        }

        return console;
    }

    /// <summary>
    /// Shows a progress bar for a long-running transfer, on a terminal only and only once it has run for a second, so short
    /// queries and piped output stay quiet. <paramref name="progress"/> reads the count so far; the display ends with <paramref name="done"/>.
    /// </summary>
    public static async Task ShowProgressAfterASecondAsync(TextWriter writer, string label, Func<long> progress, long expected, Task done)
    {
        if (!IsTerminal(writer) || await Task.WhenAny(done, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false) == done)
        {
            return;
        }

        await For(writer).Progress().AutoClear(true).StartAsync(async context =>
        {
            var task = context.AddTask(label, maxValue: Math.Max(expected, 1));
            task.IsIndeterminate = expected <= 0;
            while (!done.IsCompleted)
            {
                long count = progress();
                task.Value = count;
                task.Description = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{label} {count:N0}");
                await Task.WhenAny(done, Task.Delay(100)).ConfigureAwait(false);
            }

            task.Value = task.MaxValue;
        }).ConfigureAwait(false);
    }
}
