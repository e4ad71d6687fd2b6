using DashFlow.Api;
using DashFlow.Model;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Services;

// The object-id functions (tables, filters, sessions) share one shape; these helpers are it, once.
public sealed partial class FlowApiService
{
    private delegate SaiStatus CreateCall(SaiAttribute[] attributes, out ulong id);

    private delegate SaiStatus GetCall(Span<SaiAttribute> attributes);

    private delegate SaiStatus BulkCreateCall(SaiAttribute[][] lists, BulkErrorMode mode, Span<ulong> ids, Span<SaiStatus> statuses);

    private delegate SaiStatus BulkRemoveCall(ulong[] ids, BulkErrorMode mode, Span<SaiStatus> statuses);

    private Task<Proto.ObjectId> CreateObject(string operation, IReadOnlyList<Proto.SaiAttribute> messages, CreateCall create)
    {
        var status = metrics.Count(operation, create(Read(messages, operation), out ulong id));
        SaiStatusMapping.ThrowIfFailed(status, operation);
        return Task.FromResult(new Proto.ObjectId { Oid = id });
    }

    private Task<Proto.Empty> RemoveObject(string operation, SaiStatus status)
    {
        SaiStatusMapping.ThrowIfFailed(metrics.Count(operation, status), operation);
        return Task.FromResult(new Proto.Empty());
    }

    private Task<Proto.Empty> SetObject(string operation, Proto.SaiAttribute? message, Func<SaiAttribute, SaiStatus> set)
    {
        var status = metrics.Count(operation, set(ReadOne(message, operation)));
        SaiStatusMapping.ThrowIfFailed(status, operation);
        return Task.FromResult(new Proto.Empty());
    }

    private Task<Proto.AttributesReply> GetObject(string operation, IReadOnlyList<uint> ids, GetCall get)
    {
        var attributes = Queries(ids);
        SaiStatusMapping.ThrowIfFailed(metrics.Count(operation, get(attributes)), operation);
        return Task.FromResult(Reply(attributes));
    }

    private Task<Proto.BulkObjectCreateReply> BulkCreateObjects(string operation, Proto.BulkObjectCreateRequest request, BulkCreateCall create)
    {
        limits.CheckBulk(request.Objects.Count, operation);
        var lists = request.Objects.Select(o => Read(o.Attributes, operation)).ToArray();
        var ids = new ulong[lists.Length];
        var statuses = new SaiStatus[lists.Length];
        var status = create(lists, ErrorMode(request.ErrorMode), ids, statuses);
        metrics.CountBulk(operation, statuses);
        var reply = new Proto.BulkObjectCreateReply { Status = (int)status };
        reply.Statuses.AddRange(statuses.Select(s => (int)s));
        reply.Oids.AddRange(ids);
        return Task.FromResult(reply);
    }

    private Task<Proto.BulkStatusReply> BulkRemoveObjects(string operation, Proto.BulkObjectRemoveRequest request, BulkRemoveCall remove)
    {
        limits.CheckBulk(request.Oids.Count, operation);
        var statuses = new SaiStatus[request.Oids.Count];
        var status = remove([.. request.Oids], ErrorMode(request.ErrorMode), statuses);
        metrics.CountBulk(operation, statuses);
        return Task.FromResult(BulkReply(status, statuses));
    }
}
