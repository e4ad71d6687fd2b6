using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;
using DashFlow.Cli.Client;
using DashFlow.Model;
using DashFlow.Server.Client;
using DashFlow.Server.Hosting;
using DashFlow.Sessions;
using Grpc.Core;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Commands.Ha;

/// <summary>
/// <c>dashflow ha diff --server A --peer B [--json]</c>: compares the two agents' tables without stopping either data
/// plane: each table of each agent streams its flows (GRPC-mode bulk get sessions) into a receiver this command runs,
/// which keeps keys and versions; then missing on the peer, extra on the peer and version mismatches are counted.
/// Flows changing during the walk may show up as differences (D9): compare again, or compare a quiet pair.
/// </summary>
public static class HaDiffCommand
{
    private const int Samples = 5;

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
                    left = await DumpAsync(client, options, collector, endpoint, seconds).ConfigureAwait(false);
                    return ExitCodes.Ok;
                }).ConfigureAwait(false);
                if (exit == ExitCodes.Ok)
                {
                    exit = await AgentConnection.RunAsync(parse.GetValue(peer)!, seconds, error, async (client, options) =>
                    {
                        right = await DumpAsync(client, options, collector, endpoint, seconds).ConfigureAwait(false);
                        return ExitCodes.Ok;
                    }).ConfigureAwait(false);
                }

                if (exit != ExitCodes.Ok || left is null || right is null)
                {
                    return exit;
                }

                var result = Compare(left, right);
                output.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(result) : Describe(result));
                return result.Same ? ExitCodes.Ok : ExitCodes.CheckFailed;
            }
        });
        return command;
    }

    /// <summary>What a diff found.</summary>
    public sealed record DiffResult(long Flows, long PeerFlows, long MissingOnPeer, long ExtraOnPeer, long VersionMismatch, List<string> Samples)
    {
        /// <summary>True when the two agents hold the same flows at the same versions.</summary>
        public bool Same => MissingOnPeer == 0 && ExtraOnPeer == 0 && VersionMismatch == 0;
    }

    /// <summary>Streams every table of one agent into the collector; returns key → version per table id.</summary>
    private static async Task<Dictionary<ulong, Dictionary<FlowKey, uint>>> DumpAsync(Proto.FlowApi.FlowApiClient client, CallOptions options, FlowVersionCollector collector, IPEndPoint receiver, double seconds)
    {
        var tables = await client.ListFlowTablesAsync(new Proto.Empty(), options).ResponseAsync.ConfigureAwait(false);
        var result = new Dictionary<ulong, Dictionary<FlowKey, uint>>();
        foreach (var table in tables.Tables)
        {
            var filterIds = new List<ulong>();
            ulong session = 0;
            try
            {
                session = await BulkGetSessions.CreateAsync(client, options, [], BulkGetSessions.Request(BulkGetSessionMode.Grpc, 0, table.Oid, receiver), filterIds).ConfigureAwait(false);
                var completion = await collector.Completion(session).WaitAsync(TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
                if (completion is null || completion.FinalState != (uint)BulkGetSessionState.Completed)
                {
                    throw new RpcException(new Status(StatusCode.Aborted, $"ha diff: the walk of table 0x{table.Oid:x} did not complete"));
                }

                result[table.Oid] = collector.Take(session);
            }
            finally
            {
                await BulkGetSessions.RemoveAsync(client, options, session, filterIds).ConfigureAwait(false);
            }
        }

        return result;
    }

    /// <summary>Compares two agents' tables by id (an HA standby mirrors its active's tables under the same ids).</summary>
    public static DiffResult Compare(Dictionary<ulong, Dictionary<FlowKey, uint>> left, Dictionary<ulong, Dictionary<FlowKey, uint>> right)
    {
        long flows = 0, peerFlows = 0, missing = 0, extra = 0, mismatch = 0;
        var samples = new List<string>();
        foreach (var tableId in left.Keys.Union(right.Keys).Order())
        {
            var mine = left.GetValueOrDefault(tableId) ?? [];
            var theirs = right.GetValueOrDefault(tableId) ?? [];
            flows += mine.Count;
            peerFlows += theirs.Count;
            foreach (var (key, version) in mine)
            {
                if (!theirs.TryGetValue(key, out uint other))
                {
                    missing++;
                    Sample(samples, $"missing_on_peer table 0x{tableId:x} {key} v{version}");
                }
                else if (other != version)
                {
                    mismatch++;
                    Sample(samples, $"version_mismatch table 0x{tableId:x} {key} v{version} vs v{other}");
                }
            }

            foreach (var (key, version) in theirs)
            {
                if (!mine.ContainsKey(key))
                {
                    extra++;
                    Sample(samples, $"extra_on_peer table 0x{tableId:x} {key} v{version}");
                }
            }
        }

        return new DiffResult(flows, peerFlows, missing, extra, mismatch, samples);
    }

    private static void Sample(List<string> samples, string line)
    {
        if (samples.Count < 3 * Samples)
        {
            samples.Add(line);
        }
    }

    private static string Describe(DiffResult result)
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"flows {result.Flows} / peer {result.PeerFlows}: missing_on_peer {result.MissingOnPeer}, extra_on_peer {result.ExtraOnPeer}, version_mismatch {result.VersionMismatch}");
        return result.Samples.Count == 0 ? text : text + Environment.NewLine + string.Join(Environment.NewLine, result.Samples.Select(s => "  " + s));
    }
}
