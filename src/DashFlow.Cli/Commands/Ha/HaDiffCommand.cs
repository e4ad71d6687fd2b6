using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;
using DashFlow.Cli.Client;
using DashFlow.Model;
using DashFlow.Server.Client;
using DashFlow.Server.Hosting;

namespace DashFlow.Cli.Commands.Ha;

/// <summary>
/// <c>dashflow ha diff --server A --peer B [--json]</c>: compares the two agents' tables without stopping either data
/// plane: each table of each agent streams its flows (GRPC-mode bulk get sessions) into a receiver this command runs,
/// which keeps keys and versions; then missing on the peer, extra on the peer and version mismatches are counted.
/// Flows changing during the walk may show up as differences (D9): compare again, or compare a quiet pair.
/// </summary>
public static class HaDiffCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var server = AgentConnection.ServerOption();
        var peer = new Option<string>("--peer") { Description = "The other agent of the pair, host:port.", Required = true };
        var timeout = AgentConnection.TimeoutOption();
        timeout.DefaultValueFactory = _ => 300;
        var receiveOn = new Option<string>("--receive-on") { Description = "Where this command's receiver listens.", DefaultValueFactory = _ => "127.0.0.1:0" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("diff", "Compare the flows of an HA pair's two agents (missing_on_peer, extra_on_peer, version_mismatch).") { server, peer, timeout, receiveOn, json };
        command.SetAction(async (parse, cancellation) =>
        {
            var collector = new FlowVersionCollector();
            ReceiverHost receiver;
            try
            {
                receiver = await ReceiverHost.StartAsync(parse.GetValue(receiveOn)!, collector, cancellationToken: cancellation).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ArgumentException or IOException)
            {
                error.WriteLine($"dashflow: --receive-on: {e.Message}");
                return e is ArgumentException ? ExitCodes.Usage : ExitCodes.LocalError;
            }

            await using (receiver)
            {
                var address = receiver.Endpoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : receiver.Endpoint.Address;
                var endpoint = new IPEndPoint(address, receiver.Endpoint.Port);
                double seconds = parse.GetValue(timeout);
                Dictionary<ulong, Dictionary<FlowKey, uint>>? left = null, right = null;
                int exit = await AgentConnection.RunAsync(parse.GetValue(server)!, seconds, error, async (client, options) =>
                {
                    left = await HaTableDiff.WalkAsync(client, options, collector, endpoint, TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
                    return ExitCodes.Ok;
                }).ConfigureAwait(false);
                if (exit == ExitCodes.Ok)
                {
                    exit = await AgentConnection.RunAsync(parse.GetValue(peer)!, seconds, error, async (client, options) =>
                    {
                        right = await HaTableDiff.WalkAsync(client, options, collector, endpoint, TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
                        return ExitCodes.Ok;
                    }).ConfigureAwait(false);
                }

                if (exit != ExitCodes.Ok || left is null || right is null)
                {
                    return exit;
                }

                var result = HaTableDiff.Compare(left, right);
                output.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(result) : Describe(result));
                return result.Same ? ExitCodes.Ok : ExitCodes.CheckFailed;
            }
        });
        return command;
    }

    private static string Describe(HaTableDiff.Result result)
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"flows {result.Flows} / peer {result.PeerFlows}: missing_on_peer {result.MissingOnPeer}, extra_on_peer {result.ExtraOnPeer}, version_mismatch {result.VersionMismatch}");
        return result.Samples.Count == 0 ? text : text + Environment.NewLine + string.Join(Environment.NewLine, result.Samples.Select(s => "  " + s));
    }
}
