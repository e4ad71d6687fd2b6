using System.CommandLine;

namespace DashFlow.Cli.Commands.Ha;

/// <summary><c>dashflow ha</c>: the HA pair's status, planned switchover and table comparison.</summary>
public static class HaCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("ha", "An HA pair: status, planned switchover, diff of the two agents' tables.");
        command.Subcommands.Add(HaStatusCommand.Create(output, error));
        command.Subcommands.Add(HaSwitchoverCommand.Create(output, error));
        command.Subcommands.Add(HaDiffCommand.Create(output, error));
        return command;
    }
}
