using System.Net;
using DashFlow.Api;
using DashFlow.Model;
using DashFlow.Records;
using Grpc.Core;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Client;

/// <summary>The agent-side objects of a bulk get session a client starts: its filters and the session, made and removed together.</summary>
public static class BulkGetSessions
{
    /// <summary>A filter's attributes: key, op and the value attribute that fits the key (D13).</summary>
    public static Proto.ObjectCreateRequest Filter(BulkGetFilterKey key, BulkGetFilterOp op, Proto.SaiAttribute value)
    {
        var request = new Proto.ObjectCreateRequest();
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionFilterAttr.Key, S32 = (int)key });
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionFilterAttr.Op, S32 = (int)op });
        request.Attributes.Add(value);
        return request;
    }

    /// <summary>The session's attributes; filter ids are added by <see cref="CreateAsync"/>.</summary>
    public static Proto.ObjectCreateRequest Request(BulkGetSessionMode mode, uint limit, ulong? table, IPEndPoint? receiver = null)
    {
        var request = new Proto.ObjectCreateRequest();
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.Mode, S32 = (int)mode });
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.EntryLimitation, U32 = limit });
        if (receiver is not null)
        {
            request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.ServerIp, Ip = FlowRecordCodec.ToIpMessage(IpAddress.From(receiver.Address)) });
            request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.ServerPort, U32 = (uint)receiver.Port });
        }

        if (table is { } tableId)
        {
            request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.FlowTable, Oid = tableId });
        }

        return request;
    }

    /// <summary>Creates the filters (recording each id in <paramref name="filterIds"/> as it exists, so a failure can be
    /// cleaned up), names them in the session, and creates the session.</summary>
    /// <returns>The session's id.</returns>
    public static async Task<ulong> CreateAsync(Proto.FlowApi.FlowApiClient client, CallOptions options, IReadOnlyList<Proto.ObjectCreateRequest> filters, Proto.ObjectCreateRequest session, List<ulong> filterIds)
    {
        foreach (var filter in filters)
        {
            ulong id = (await client.CreateFlowEntryBulkGetSessionFilterAsync(filter, options).ResponseAsync.ConfigureAwait(false)).Oid;
            session.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.FirstFilterId + (uint)filterIds.Count, Oid = id });
            filterIds.Add(id);
        }

        return (await client.CreateFlowEntryBulkGetSessionAsync(session, options).ResponseAsync.ConfigureAwait(false)).Oid;
    }

    /// <summary>Best effort: removes a session (0 = none) and its filters; ones already gone, or an agent gone, are fine.</summary>
    public static async Task RemoveAsync(Proto.FlowApi.FlowApiClient client, CallOptions options, ulong session, IEnumerable<ulong> filterIds)
    {
        if (session != 0)
        {
            await IgnoreFailure(client.RemoveFlowEntryBulkGetSessionAsync(new Proto.ObjectId { Oid = session }, options).ResponseAsync).ConfigureAwait(false);
        }

        foreach (ulong id in filterIds)
        {
            await IgnoreFailure(client.RemoveFlowEntryBulkGetSessionFilterAsync(new Proto.ObjectId { Oid = id }, options).ResponseAsync).ConfigureAwait(false);
        }
    }

    private static async Task IgnoreFailure(Task call)
    {
        try
        {
            await call.ConfigureAwait(false);
        }
        catch (RpcException)
        {
            // Already gone, or the agent went away: nothing to clean up.
        }
    }
}
