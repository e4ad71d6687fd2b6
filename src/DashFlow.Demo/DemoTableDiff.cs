using DashFlow.Api;
using DashFlow.Engine;
using DashFlow.Model;
using DashFlow.Server.Hosting;

namespace DashFlow.Demo;

/// <summary>The differences between two agents' tables: what <c>dashflow ha diff</c> counts.</summary>
/// <param name="MissingOnPeer">Flows the first agent holds and the peer does not.</param>
/// <param name="ExtraOnPeer">Flows the peer holds and the first agent does not.</param>
/// <param name="VersionMismatch">Flows both hold at different versions.</param>
internal readonly record struct DemoTableDiff(long MissingOnPeer, long ExtraOnPeer, long VersionMismatch)
{
    /// <summary>All differences.</summary>
    public long Total => MissingOnPeer + ExtraOnPeer + VersionMismatch;

    public override string ToString() => $"missing_on_peer {MissingOnPeer}, extra_on_peer {ExtraOnPeer}, version_mismatch {VersionMismatch}";

    /// <summary>Compares every table of <paramref name="server"/> with the same table on <paramref name="peer"/>.</summary>
    public static Task<DemoTableDiff> CompareAsync(Agent server, Agent peer, CancellationToken cancellationToken)
    {
        long missing = 0, extra = 0, mismatch = 0;
        foreach (var id in server.Api.FlowTableIds.Union(peer.Api.FlowTableIds))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var left = Versions(server.Api, id);
            var right = Versions(peer.Api, id);
            foreach (var (key, version) in left)
            {
                if (!right.TryGetValue(key, out uint other))
                {
                    missing++;
                }
                else if (other != version)
                {
                    mismatch++;
                }
            }

            extra += right.Keys.Count(k => !left.ContainsKey(k));
        }

        return Task.FromResult(new DemoTableDiff(missing, extra, mismatch));
    }

    private static Dictionary<FlowKey, uint> Versions(FlowApi api, FlowTableId id)
    {
        var versions = new Dictionary<FlowKey, uint>();
        if (api.TryGetTable(id, out var table))
        {
            var visitor = new Collector(versions);
            var cursor = default(FlowScanCursor);
            while (!cursor.IsComplete)
            {
                table.Scan(ref cursor, 65_536, ref visitor);
            }
        }

        return versions;
    }

    private readonly struct Collector(Dictionary<FlowKey, uint> into) : IFlowScanVisitor
    {
        public bool NeedsState => false;

        public bool Accept(in FlowEntryView view) => true;

        public bool Visit(in FlowEntryView view, in FlowState state, ReadOnlySpan<byte> vendorMetadata)
        {
            into[view.Key] = view.Version;
            return true;
        }
    }
}
