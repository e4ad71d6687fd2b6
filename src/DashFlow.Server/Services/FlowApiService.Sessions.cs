using DashFlow.Sessions;
using Grpc.Core;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Services;

// Bulk get filters, sessions and their notification stream.
public sealed partial class FlowApiService
{
    public override Task<Proto.ObjectId> CreateFlowEntryBulkGetSessionFilter(Proto.ObjectCreateRequest request, ServerCallContext context) =>
        CreateObject("create_flow_entry_bulk_get_session_filter", request.Attributes, (Api.SaiAttribute[] a, out ulong id) =>
        {
            var status = api.CreateFlowEntryBulkGetSessionFilter(out var filter, a);
            id = filter.Value;
            return status;
        });

    public override Task<Proto.Empty> RemoveFlowEntryBulkGetSessionFilter(Proto.ObjectId request, ServerCallContext context) =>
        RemoveObject("remove_flow_entry_bulk_get_session_filter", api.RemoveFlowEntryBulkGetSessionFilter(new BulkGetSessionFilterId(request.Oid)));

    public override Task<Proto.Empty> SetFlowEntryBulkGetSessionFilterAttribute(Proto.ObjectSetRequest request, ServerCallContext context) =>
        SetObject("set_flow_entry_bulk_get_session_filter_attribute", request.Attribute, a => api.SetFlowEntryBulkGetSessionFilterAttribute(new BulkGetSessionFilterId(request.Oid), in a));

    public override Task<Proto.AttributesReply> GetFlowEntryBulkGetSessionFilterAttribute(Proto.ObjectGetRequest request, ServerCallContext context) =>
        GetObject("get_flow_entry_bulk_get_session_filter_attribute", request.Ids, a => api.GetFlowEntryBulkGetSessionFilterAttribute(new BulkGetSessionFilterId(request.Oid), a));

    public override Task<Proto.BulkObjectCreateReply> CreateFlowEntryBulkGetSessionFilters(Proto.BulkObjectCreateRequest request, ServerCallContext context) =>
        BulkCreateObjects("create_flow_entry_bulk_get_session_filters", request, (lists, mode, ids, statuses) =>
        {
            var typed = new BulkGetSessionFilterId[lists.Length];
            var status = api.CreateFlowEntryBulkGetSessionFilters(lists, mode, typed, statuses);
            typed.Select(t => t.Value).ToArray().CopyTo(ids);
            return status;
        });

    public override Task<Proto.BulkStatusReply> RemoveFlowEntryBulkGetSessionFilters(Proto.BulkObjectRemoveRequest request, ServerCallContext context) =>
        BulkRemoveObjects("remove_flow_entry_bulk_get_session_filters", request, (ids, mode, statuses) =>
            api.RemoveFlowEntryBulkGetSessionFilters([.. ids.Select(o => new BulkGetSessionFilterId(o))], mode, statuses));

    public override Task<Proto.ObjectId> CreateFlowEntryBulkGetSession(Proto.ObjectCreateRequest request, ServerCallContext context) =>
        CreateObject("create_flow_entry_bulk_get_session", request.Attributes, (Api.SaiAttribute[] a, out ulong id) =>
        {
            var status = api.CreateFlowEntryBulkGetSession(out var session, a);
            id = session.Value;
            if (status == Model.SaiStatus.Success)
            {
                metrics.SessionCreated();
            }

            return status;
        });

    public override Task<Proto.Empty> RemoveFlowEntryBulkGetSession(Proto.ObjectId request, ServerCallContext context) =>
        RemoveObject("remove_flow_entry_bulk_get_session", api.RemoveFlowEntryBulkGetSession(new BulkGetSessionId(request.Oid)));

    public override Task<Proto.Empty> SetFlowEntryBulkGetSessionAttribute(Proto.ObjectSetRequest request, ServerCallContext context) =>
        SetObject("set_flow_entry_bulk_get_session_attribute", request.Attribute, a => api.SetFlowEntryBulkGetSessionAttribute(new BulkGetSessionId(request.Oid), in a));

    public override Task<Proto.AttributesReply> GetFlowEntryBulkGetSessionAttribute(Proto.ObjectGetRequest request, ServerCallContext context) =>
        GetObject("get_flow_entry_bulk_get_session_attribute", request.Ids, a => api.GetFlowEntryBulkGetSessionAttribute(new BulkGetSessionId(request.Oid), a));

    public override Task<Proto.BulkObjectCreateReply> CreateFlowEntryBulkGetSessions(Proto.BulkObjectCreateRequest request, ServerCallContext context) =>
        BulkCreateObjects("create_flow_entry_bulk_get_sessions", request, (lists, mode, ids, statuses) =>
        {
            var typed = new BulkGetSessionId[lists.Length];
            var status = api.CreateFlowEntryBulkGetSessions(lists, mode, typed, statuses);
            typed.Select(t => t.Value).ToArray().CopyTo(ids);
            return status;
        });

    public override Task<Proto.BulkStatusReply> RemoveFlowEntryBulkGetSessions(Proto.BulkObjectRemoveRequest request, ServerCallContext context) =>
        BulkRemoveObjects("remove_flow_entry_bulk_get_sessions", request, (ids, mode, statuses) =>
            api.RemoveFlowEntryBulkGetSessions([.. ids.Select(o => new BulkGetSessionId(o))], mode, statuses));

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
