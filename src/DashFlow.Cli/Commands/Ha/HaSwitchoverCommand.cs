using System.CommandLine;
using DashFlow.Cli.Client;
using DashFlow.Ha.Roles;
using DashFlow.Model;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Commands.Ha;

/// <summary><c>dashflow ha switchover [--server]</c>: planned switchover without loss (asked of either agent of the pair).</summary>
public static class HaSwitchoverCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var server = AgentConnection.ServerOption();
        var timeout = AgentConnection.TimeoutOption();
        timeout.DefaultValueFactory = _ => 60;
        var command = new Command("switchover", "Planned switchover: the standby becomes active and the active standby, losing no flow.") { server, timeout };
        command.SetAction((parse, cancellation) => HaStatusCommand.RunAsync(parse.GetValue(server)!, parse.GetValue(timeout), error, async (client, options) =>
        {
            var reply = await client.SwitchoverAsync(new Proto.HaSwitchoverRequest(), options).ResponseAsync.ConfigureAwait(false);
            if (reply.Status != (int)SaiStatus.Success)
            {
                error.WriteLine($"dashflow: switchover refused or not finished: {((SaiStatus)reply.Status).Describe()}");
                return ExitCodes.SaiError;
            }

            output.WriteLine($"switchover done: the agent at {parse.GetValue(server)} is {((HaState)reply.HaState).Name()}, term {reply.Term}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
