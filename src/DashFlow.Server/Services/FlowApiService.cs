using DashFlow.Api;
using DashFlow.Model;
using DashFlow.Records;
using DashFlow.Server.Hosting;
using Grpc.Core;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Services;

/// <summary>
/// The northbound <c>dash.flow.v1.FlowApi</c> service: a thin adapter from the wire to <see cref="FlowApi"/>. Single-object
/// calls raise the mapped gRPC status (the SAI value in the <c>sai-status</c> trailer); bulk calls return every status.
/// </summary>
public sealed partial class FlowApiService(FlowApi api, AgentLimits limits, AgentMetrics metrics, BulkGetEventHub events, DecisionGate gate) : Proto.FlowApi.FlowApiBase
{
    public override Task<Proto.ObjectId> CreateFlowTable(Proto.ObjectCreateRequest request, ServerCallContext context) =>
        gate.Decide("create_flow_table", () => CreateFlowTableCore(request, context));

    public override Task<Proto.Empty> RemoveFlowTable(Proto.ObjectId request, ServerCallContext context) =>
        gate.Decide("remove_flow_table", () => RemoveFlowTableCore(request, context));

    public override Task<Proto.Empty> SetFlowTableAttribute(Proto.ObjectSetRequest request, ServerCallContext context) =>
        gate.Decide("set_flow_table_attribute", () => SetFlowTableAttributeCore(request, context));

    public override Task<Proto.BulkObjectCreateReply> CreateFlowTables(Proto.BulkObjectCreateRequest request, ServerCallContext context) =>
        gate.Decide("create_flow_tables", () => CreateFlowTablesCore(request, context));

    public override Task<Proto.BulkStatusReply> RemoveFlowTables(Proto.BulkObjectRemoveRequest request, ServerCallContext context) =>
        gate.Decide("remove_flow_tables", () => RemoveFlowTablesCore(request, context));

    public override Task<Proto.Empty> CreateFlowEntry(Proto.FlowEntryCreateRequest request, ServerCallContext context) =>
        gate.Decide("create_flow_entry", () => CreateFlowEntryCore(request, context));

    public override Task<Proto.Empty> RemoveFlowEntry(Proto.FlowEntryRequest request, ServerCallContext context) =>
        gate.Decide("remove_flow_entry", () => RemoveFlowEntryCore(request, context));

    public override Task<Proto.Empty> SetFlowEntryAttribute(Proto.FlowEntrySetRequest request, ServerCallContext context) =>
        gate.Decide("set_flow_entry_attribute", () => SetFlowEntryAttributeCore(request, context));

    public override Task<Proto.BulkStatusReply> CreateFlowEntries(Proto.FlowEntriesCreateRequest request, ServerCallContext context) =>
        gate.Decide("create_flow_entries", () => CreateFlowEntriesCore(request, context));

    public override Task<Proto.BulkStatusReply> RemoveFlowEntries(Proto.FlowEntriesRemoveRequest request, ServerCallContext context) =>
        gate.Decide("remove_flow_entries", () => RemoveFlowEntriesCore(request, context));

    public override Task<Proto.BulkStatusReply> CreateFlowRecords(Proto.FlowRecordsCreateRequest request, ServerCallContext context) =>
        gate.Decide("create_flow_records", () => CreateFlowRecordsCore(request, context));

    private Task<Proto.ObjectId> CreateFlowTableCore(Proto.ObjectCreateRequest request, ServerCallContext context) =>
        CreateObject("create_flow_table", request.Attributes, (SaiAttribute[] a, out ulong id) =>
        {
            var status = api.CreateFlowTable(out var table, a);
            id = table.Value;
            return status;
        });

    private Task<Proto.Empty> RemoveFlowTableCore(Proto.ObjectId request, ServerCallContext context) =>
        RemoveObject("remove_flow_table", api.RemoveFlowTable(new FlowTableId(request.Oid)));

    private Task<Proto.Empty> SetFlowTableAttributeCore(Proto.ObjectSetRequest request, ServerCallContext context) =>
        SetObject("set_flow_table_attribute", request.Attribute, a => api.SetFlowTableAttribute(new FlowTableId(request.Oid), in a));

    public override Task<Proto.AttributesReply> GetFlowTableAttribute(Proto.ObjectGetRequest request, ServerCallContext context) =>
        GetObject("get_flow_table_attribute", request.Ids, a => api.GetFlowTableAttribute(new FlowTableId(request.Oid), a));

    private Task<Proto.BulkObjectCreateReply> CreateFlowTablesCore(Proto.BulkObjectCreateRequest request, ServerCallContext context) =>
        BulkCreateObjects("create_flow_tables", request, (lists, mode, ids, statuses) =>
        {
            var typed = new FlowTableId[lists.Length];
            var status = api.CreateFlowTables(lists, mode, typed, statuses);
            typed.Select(t => t.Value).ToArray().CopyTo(ids);
            return status;
        });

    private Task<Proto.BulkStatusReply> RemoveFlowTablesCore(Proto.BulkObjectRemoveRequest request, ServerCallContext context) =>
        BulkRemoveObjects("remove_flow_tables", request, (ids, mode, statuses) => api.RemoveFlowTables([.. ids.Select(o => new FlowTableId(o))], mode, statuses));

    private Task<Proto.Empty> CreateFlowEntryCore(Proto.FlowEntryCreateRequest request, ServerCallContext context)
    {
        var address = Address(request.Entry, "create_flow_entry");
        var attributes = Read(request.Attributes, "create_flow_entry");
        var status = metrics.Count("create_flow_entry", api.CreateFlowEntry(in address, attributes));
        SaiStatusMapping.ThrowIfFailed(status, "create_flow_entry");
        return Task.FromResult(new Proto.Empty());
    }

    private Task<Proto.Empty> RemoveFlowEntryCore(Proto.FlowEntryRequest request, ServerCallContext context)
    {
        var address = Address(request.Entry, "remove_flow_entry");
        var status = metrics.Count("remove_flow_entry", api.RemoveFlowEntry(in address));
        SaiStatusMapping.ThrowIfFailed(status, "remove_flow_entry");
        return Task.FromResult(new Proto.Empty());
    }

    private Task<Proto.Empty> SetFlowEntryAttributeCore(Proto.FlowEntrySetRequest request, ServerCallContext context)
    {
        var address = Address(request.Entry, "set_flow_entry_attribute");
        var attribute = ReadOne(request.Attribute, "set_flow_entry_attribute");
        var status = metrics.Count("set_flow_entry_attribute", api.SetFlowEntryAttribute(in address, in attribute));
        SaiStatusMapping.ThrowIfFailed(status, "set_flow_entry_attribute");
        return Task.FromResult(new Proto.Empty());
    }

    public override Task<Proto.AttributesReply> GetFlowEntryAttribute(Proto.FlowEntryGetRequest request, ServerCallContext context)
    {
        var address = Address(request.Entry, "get_flow_entry_attribute");
        var attributes = Queries(request.Ids);
        var status = metrics.Count("get_flow_entry_attribute", api.GetFlowEntryAttribute(in address, attributes));
        SaiStatusMapping.ThrowIfFailed(status, "get_flow_entry_attribute");
        return Task.FromResult(Reply(attributes));
    }

    private Task<Proto.BulkStatusReply> CreateFlowEntriesCore(Proto.FlowEntriesCreateRequest request, ServerCallContext context)
    {
        limits.CheckBulk(request.Entries.Count, "create_flow_entries");
        int count = request.Entries.Count;
        var statuses = new SaiStatus[count];
        var addresses = new FlowEntryAddress[count];
        var lists = new SaiAttribute[count][];
        var refused = new SaiStatus[count];
        for (int i = 0; i < count; i++)
        {
            // An entry whose wire form is malformed is refused on its own; the others follow the error mode.
            refused[i] = AttributeConverter.TryAddress(request.Entries[i].Entry, out addresses[i]);
            if (refused[i] == SaiStatus.Success)
            {
                refused[i] = AttributeConverter.TryFromMessages(request.Entries[i].Attributes, out lists[i]);
            }

            lists[i] ??= [];
        }

        var status = RunWithRefusals(refused, ErrorMode(request.ErrorMode), statuses, i => api.CreateFlowEntry(in addresses[i], lists[i]));
        metrics.CountBulk("create_flow_entries", statuses);
        return Task.FromResult(BulkReply(status, statuses));
    }

    private Task<Proto.BulkStatusReply> RemoveFlowEntriesCore(Proto.FlowEntriesRemoveRequest request, ServerCallContext context)
    {
        limits.CheckBulk(request.Entries.Count, "remove_flow_entries");
        int count = request.Entries.Count;
        var statuses = new SaiStatus[count];
        var addresses = new FlowEntryAddress[count];
        var refused = new SaiStatus[count];
        for (int i = 0; i < count; i++)
        {
            refused[i] = AttributeConverter.TryAddress(request.Entries[i], out addresses[i]);
        }

        var status = RunWithRefusals(refused, ErrorMode(request.ErrorMode), statuses, i => api.RemoveFlowEntry(in addresses[i]));
        metrics.CountBulk("remove_flow_entries", statuses);
        return Task.FromResult(BulkReply(status, statuses));
    }

    private Task<Proto.BulkStatusReply> CreateFlowRecordsCore(Proto.FlowRecordsCreateRequest request, ServerCallContext context)
    {
        long announced = (long)request.Records.Count + request.PackedCount; // in long: a packed count near 2^32 must not wrap
        limits.CheckBulk(announced > int.MaxValue ? int.MaxValue : (int)announced, "create_flow_records");
        var batch = FlowRecordBatch.FromPacked(request.PackedRecords.Memory, (int)request.PackedCount);
        if (request.Records.Count > 0)
        {
            // Records sent as messages join the packed ones, first, in one batch.
            var combined = FlowRecordBatch.FromMessages(request.Records);
            combined.Append(batch);
            batch = combined;
        }

        var statuses = new SaiStatus[(int)announced];
        var status = api.CreateFlowEntries(new FlowTableId(request.FlowTableId), batch, statuses.Length, ErrorMode(request.ErrorMode), statuses);
        metrics.CountBulk("create_flow_records", statuses);
        return Task.FromResult(BulkReply(status, statuses));
    }

    public override Task<Proto.CapabilitiesReply> GetCapabilities(Proto.Empty request, ServerCallContext context)
    {
        var attributes = SwitchCapabilityAttr.All.Select(c => SaiAttribute.Query(c.Id)).ToArray();
        SaiStatusMapping.ThrowIfFailed(api.GetSwitchAttribute(attributes), "get_switch_attribute");
        var reply = new Proto.CapabilitiesReply();
        for (int i = 0; i < attributes.Length; i++)
        {
            reply.Capabilities.Add(new Proto.Capability
            {
                Id = attributes[i].Id,
                Name = SwitchCapabilityAttr.All[i].Name,
                Value = AttributeConverter.ToMessage(in attributes[i]),
            });
        }

        return Task.FromResult(reply);
    }

    public override Task<Proto.FlowTableList> ListFlowTables(Proto.Empty request, ServerCallContext context)
    {
        var reply = new Proto.FlowTableList();
        foreach (var id in api.FlowTableIds)
        {
            if (!api.TryGetTable(id, out var table))
            {
                continue; // removed meanwhile
            }

            var counters = table.Counters;
            reply.Tables.Add(new Proto.FlowTableInfo
            {
                Oid = id.Value,
                MaxFlowCount = (uint)table.MaxFlowCount,
                EnabledKey = (int)table.EnabledKey,
                TtlMs = table.TtlMs,
                Flows = (ulong)table.Count,
                Aged = (ulong)table.AgedCount,
                Created = (ulong)counters.Created,
                CreateFailed = (ulong)counters.CreateFailed,
                Removed = (ulong)counters.Removed,
                TableFull = (ulong)counters.TableFull,
            });
        }

        return Task.FromResult(reply);
    }

    /// <summary>Runs each object alone, honouring objects already refused on the wire and the error mode.</summary>
    private static SaiStatus RunWithRefusals(SaiStatus[] refused, BulkErrorMode mode, SaiStatus[] statuses, Func<int, SaiStatus> runOne)
    {
        bool failed = false;
        for (int i = 0; i < refused.Length; i++)
        {
            if (failed && mode == BulkErrorMode.StopOnError)
            {
                statuses[i] = SaiStatus.NotExecuted;
                continue;
            }

            statuses[i] = refused[i] != SaiStatus.Success ? refused[i] : runOne(i);

            failed |= statuses[i] != SaiStatus.Success;
        }

        return failed ? SaiStatus.Failure : SaiStatus.Success;
    }

    private static SaiAttribute[] Read(IReadOnlyList<Proto.SaiAttribute> messages, string operation)
    {
        SaiStatusMapping.ThrowIfFailed(AttributeConverter.TryFromMessages(messages, out var attributes), operation);
        return attributes;
    }

    private static SaiAttribute ReadOne(Proto.SaiAttribute? message, string operation)
    {
        if (message is null)
        {
            throw SaiStatusMapping.ToException(SaiStatus.InvalidParameter, $"{operation} (no attribute given)");
        }

        SaiStatusMapping.ThrowIfFailed(AttributeConverter.TryFromMessage(message, 0, out var attribute), operation);
        return attribute;
    }

    private static FlowEntryAddress Address(Proto.FlowEntryAddress? message, string operation)
    {
        SaiStatusMapping.ThrowIfFailed(AttributeConverter.TryAddress(message, out var address), $"{operation} (entry key)");
        return address;
    }

    private static SaiAttribute[] Queries(IReadOnlyList<uint> ids) => [.. ids.Select(SaiAttribute.Query)];

    private static Proto.AttributesReply Reply(SaiAttribute[] attributes)
    {
        var reply = new Proto.AttributesReply();
        reply.Attributes.AddRange(attributes.Select(a => AttributeConverter.ToMessage(in a)));
        return reply;
    }

    private static Proto.BulkStatusReply BulkReply(SaiStatus status, SaiStatus[] statuses)
    {
        var reply = new Proto.BulkStatusReply { Status = (int)status };
        reply.Statuses.Capacity = statuses.Length;
        foreach (var s in statuses)
        {
            reply.Statuses.Add((int)s);
        }

        return reply;
    }

    private static BulkErrorMode ErrorMode(uint mode) => mode switch
    {
        0 => BulkErrorMode.StopOnError,
        1 => BulkErrorMode.IgnoreError,
        _ => throw SaiStatusMapping.ToException(SaiStatus.InvalidParameter, $"error_mode {mode} (0 STOP_ON_ERROR or 1 IGNORE_ERROR)"),
    };
}
