using System.CommandLine;

namespace DashFlow.Cli.Commands.Table;

/// <summary><c>dashflow table</c>: flow tables on an agent.</summary>
public static class TableCommand
{
    public static Command Create(TextWriter output, TextWriter error) => new("table", "Create, change, inspect and remove flow tables.")
    {
        TableCreateCommand.Create(output, error),
        TableRemoveCommand.Create(output, error),
        TableGetCommand.Create(output, error),
        TableSetCommand.Create(output, error),
        TableListCommand.Create(output, error),
    };
}
