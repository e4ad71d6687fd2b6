using System.Net;
using DashFlow.Model;
using DashFlow.Sessions;
using Grpc.Core;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Client;

/// <summary>
/// What <c>dashflow ha diff</c> and the demo compare: each agent walks its tables with GRPC-mode bulk get sessions into a
/// receiver that keeps keys and versions, without stopping either data plane; then missing on the peer, extra on the peer
/// and version mismatches are counted. Flows changing during the walk may show up as differences (D9).
/// </summary>
public static class HaTableDiff
{
    private const int Samples = 5;

    /// <summary>What a diff found.</summary>
    public sealed record Result(long Flows, long PeerFlows, long MissingOnPeer, long ExtraOnPeer, long VersionMismatch, List<string> Samples)
    {
        /// <summary>True when the two agents hold the same flows at the same versions.</summary>
        public bool Same => MissingOnPeer == 0 && ExtraOnPeer == 0 && VersionMismatch == 0;
    }

    /// <summary>Streams every table of one agent into <paramref name="collector"/> (GRPC-mode sessions aimed at <paramref name="receiver"/>); returns key → version per table id.</summary>
    public static async Task<Dictionary<ulong, Dictionary<FlowKey, uint>>> WalkAsync(Proto.FlowApi.FlowApiClient client, CallOptions options, FlowVersionCollector collector, IPEndPoint receiver, TimeSpan timeout)
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
                var completion = await collector.Completion(session).WaitAsync(timeout).ConfigureAwait(false);
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
    public static Result Compare(Dictionary<ulong, Dictionary<FlowKey, uint>> left, Dictionary<ulong, Dictionary<FlowKey, uint>> right)
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

        return new Result(flows, peerFlows, missing, extra, mismatch, samples);
    }

    private static void Sample(List<string> samples, string line)
    {
        if (samples.Count < 3 * Samples)
        {
            samples.Add(line);
        }
    }
}
