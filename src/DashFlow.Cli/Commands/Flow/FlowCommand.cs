using System.CommandLine;

namespace DashFlow.Cli.Commands.Flow;

/// <summary><c>dashflow flow</c>: flow entries on an agent.</summary>
public static class FlowCommand
{
    public static Command Create(TextWriter output, TextWriter error) => new("flow", "Create, inspect, remove and list flow entries.")
    {
        FlowCreateCommand.Create(output, error),
        FlowGetCommand.Create(output, error),
        FlowSetCommand.Create(output, error),
        FlowRemoveCommand.Create(output, error),
        FlowListCommand.Create(output, error),
    };
}
