using Spectre.Console;

namespace DashFlow.Cli.Client;

/// <summary>A Spectre console over the command's writer: colours and live widgets on a terminal, plain text when piped or captured.</summary>
public static class ConsoleOutput
{
    /// <summary>A console writing to <paramref name="writer"/>; when it is not the process's own terminal, plain text 120 wide.</summary>
    public static IAnsiConsole For(TextWriter writer)
    {
        bool terminal = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
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
}
