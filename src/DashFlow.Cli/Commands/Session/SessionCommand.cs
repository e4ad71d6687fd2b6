using System.CommandLine;

namespace DashFlow.Cli.Commands.Session;

/// <summary><c>dashflow session</c>: bulk get sessions on an agent.</summary>
public static class SessionCommand
{
    public static Command Create(TextWriter output, TextWriter error) => new("session", "Create, inspect and remove bulk get sessions.")
    {
        SessionCreateCommand.Create(output, error),
        SessionGetCommand.Create(output, error),
        SessionRemoveCommand.Create(output, error),
    };
}
