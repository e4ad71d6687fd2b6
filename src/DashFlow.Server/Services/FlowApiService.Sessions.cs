using DashFlow.Sessions;
using Grpc.Core;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Services;

// Bulk get filters, sessions and their notification stream.
public sealed partial class FlowApiService
{
    public override Task<Proto.ObjectId> CreateFlowEntryBulkGetSessionFilter(Proto.ObjectCreateRequest request, ServerCallContext context)
    {
        var attributes = Read(request.Attributes, "create_flow_entry_bulk_get_session_filter");
        var status = metrics.Count("create_flow_entry_bulk_get_session_filter", api.CreateFlowEntryBulkGetSessionFilter(out var id, attributes));
        SaiStatusMapping.ThrowIfFailed(status, "create_flow_entry_bulk_get_session_filter");
        return Task.FromResult(new Proto.ObjectId { Oid = id.Value });
    }

    public override Task<Proto.Empty> RemoveFlowEntryBulkGetSessionFilter(Proto.ObjectId request, ServerCallContext context)
    {
        var status = metrics.Count("remove_flow_entry_bulk_get_session_filter", api.RemoveFlowEntryBulkGetSessionFilter(new BulkGetSessionFilterId(request.Oid)));
        SaiStatusMapping.ThrowIfFailed(status, "remove_flow_entry_bulk_get_session_filter");
        return Task.FromResult(new Proto.Empty());
    }

    public override Task<Proto.Empty> SetFlowEntryBulkGetSessionFilterAttribute(Proto.ObjectSetRequest request, ServerCallContext context)
    {
        var attribute = ReadOne(request.Attribute, "set_flow_entry_bulk_get_session_filter_attribute");
        var status = api.SetFlowEntryBulkGetSessionFilterAttribute(new BulkGetSessionFilterId(request.Oid), in attribute);
        SaiStatusMapping.ThrowIfFailed(status, "set_flow_entry_bulk_get_session_filter_attribute");
        return Task.FromResult(new Proto.Empty());
    }

    public override Task<Proto.AttributesReply> GetFlowEntryBulkGetSessionFilterAttribute(Proto.ObjectGetRequest request, ServerCallContext context)
    {
        var attributes = Queries(request.Ids);
        var status = api.GetFlowEntryBulkGetSessionFilterAttribute(new BulkGetSessionFilterId(request.Oid), attributes);
        SaiStatusMapping.ThrowIfFailed(status, "get_flow_entry_bulk_get_session_filter_attribute");
        return Task.FromResult(Reply(attributes));
    }

    public override Task<Proto.BulkObjectCreateReply> CreateFlowEntryBulkGetSessionFilters(Proto.BulkObjectCreateRequest request, ServerCallContext context)
    {
        limits.CheckBulk(request.Objects.Count, "create_flow_entry_bulk_get_session_filters");
        var lists = request.Objects.Select(o => Read(o.Attributes, "create_flow_entry_bulk_get_session_filters")).ToArray();
        var ids = new BulkGetSessionFilterId[lists.Length];
        var statuses = new Model.SaiStatus[lists.Length];
        var status = api.CreateFlowEntryBulkGetSessionFilters(lists, ErrorMode(request.ErrorMode), ids, statuses);
        var reply = new Proto.BulkObjectCreateReply { Status = (int)status };
        reply.Statuses.AddRange(statuses.Select(s => (int)s));
        reply.Oids.AddRange(ids.Select(id => id.Value));
        return Task.FromResult(reply);
    }

    public override Task<Proto.BulkStatusReply> RemoveFlowEntryBulkGetSessionFilters(Proto.BulkObjectRemoveRequest request, ServerCallContext context)
    {
        limits.CheckBulk(request.Oids.Count, "remove_flow_entry_bulk_get_session_filters");
        var statuses = new Model.SaiStatus[request.Oids.Count];
        var status = api.RemoveFlowEntryBulkGetSessionFilters(request.Oids.Select(o => new BulkGetSessionFilterId(o)).ToArray(), ErrorMode(request.ErrorMode), statuses);
        return Task.FromResult(BulkReply(status, statuses));
    }

    public override Task<Proto.ObjectId> CreateFlowEntryBulkGetSession(Proto.ObjectCreateRequest request, ServerCallContext context)
    {
        var attributes = Read(request.Attributes, "create_flow_entry_bulk_get_session");
        var status = metrics.Count("create_flow_entry_bulk_get_session", api.CreateFlowEntryBulkGetSession(out var id, attributes));
        SaiStatusMapping.ThrowIfFailed(status, "create_flow_entry_bulk_get_session");
        return Task.FromResult(new Proto.ObjectId { Oid = id.Value });
    }

    public override Task<Proto.Empty> RemoveFlowEntryBulkGetSession(Proto.ObjectId request, ServerCallContext context)
    {
        var status = metrics.Count("remove_flow_entry_bulk_get_session", api.RemoveFlowEntryBulkGetSession(new BulkGetSessionId(request.Oid)));
        SaiStatusMapping.ThrowIfFailed(status, "remove_flow_entry_bulk_get_session");
        return Task.FromResult(new Proto.Empty());
    }

    public override Task<Proto.Empty> SetFlowEntryBulkGetSessionAttribute(Proto.ObjectSetRequest request, ServerCallContext context)
    {
        var attribute = ReadOne(request.Attribute, "set_flow_entry_bulk_get_session_attribute");
        var status = api.SetFlowEntryBulkGetSessionAttribute(new BulkGetSessionId(request.Oid), in attribute);
        SaiStatusMapping.ThrowIfFailed(status, "set_flow_entry_bulk_get_session_attribute");
        return Task.FromResult(new Proto.Empty());
    }

    public override Task<Proto.AttributesReply> GetFlowEntryBulkGetSessionAttribute(Proto.ObjectGetRequest request, ServerCallContext context)
    {
        var attributes = Queries(request.Ids);
        var status = api.GetFlowEntryBulkGetSessionAttribute(new BulkGetSessionId(request.Oid), attributes);
        SaiStatusMapping.ThrowIfFailed(status, "get_flow_entry_bulk_get_session_attribute");
        return Task.FromResult(Reply(attributes));
    }

    public override Task<Proto.BulkObjectCreateReply> CreateFlowEntryBulkGetSessions(Proto.BulkObjectCreateRequest request, ServerCallContext context)
    {
        limits.CheckBulk(request.Objects.Count, "create_flow_entry_bulk_get_sessions");
        var lists = request.Objects.Select(o => Read(o.Attributes, "create_flow_entry_bulk_get_sessions")).ToArray();
        var ids = new BulkGetSessionId[lists.Length];
        var statuses = new Model.SaiStatus[lists.Length];
        var status = api.CreateFlowEntryBulkGetSessions(lists, ErrorMode(request.ErrorMode), ids, statuses);
        var reply = new Proto.BulkObjectCreateReply { Status = (int)status };
        reply.Statuses.AddRange(statuses.Select(s => (int)s));
        reply.Oids.AddRange(ids.Select(id => id.Value));
        return Task.FromResult(reply);
    }

    public override Task<Proto.BulkStatusReply> RemoveFlowEntryBulkGetSessions(Proto.BulkObjectRemoveRequest request, ServerCallContext context)
    {
        limits.CheckBulk(request.Oids.Count, "remove_flow_entry_bulk_get_sessions");
        var statuses = new Model.SaiStatus[request.Oids.Count];
        var status = api.RemoveFlowEntryBulkGetSessions(request.Oids.Select(o => new BulkGetSessionId(o)).ToArray(), ErrorMode(request.ErrorMode), statuses);
        return Task.FromResult(BulkReply(status, statuses));
    }

    public override async Task SubscribeBulkGetEvents(Proto.BulkGetEventSubscription request, IServerStreamWriter<Proto.BulkGetSessionEvent> responseStream, ServerCallContext context)
    {
        var reader = events.Subscribe(request.SessionId, context.CancellationToken, out long subscription);
        try
        {
            // Tell the client the subscription is live, so it can create its session without missing events.
            await context.WriteResponseHeadersAsync([]).ConfigureAwait(false);
            await foreach (var message in reader.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(message, context.CancellationToken).ConfigureAwait(false);
                if (request.SessionId != 0 && message.EventType == (uint)Model.BulkGetSessionEvent.Finished)
                {
                    return; // one session's stream ends with its FINISHED
                }
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The subscriber left.
        }
        finally
        {
            events.Unsubscribe(subscription);
        }
    }
}
