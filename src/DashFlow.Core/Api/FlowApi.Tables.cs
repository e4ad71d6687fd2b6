using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Api;

// Flow tables: create_flow_table, remove_flow_table, set/get_flow_table_attribute and the bulk forms.
public sealed partial class FlowApi
{
    /// <summary>
    /// create_flow_table. MAX_FLOW_COUNT is mandatory here (records are preallocated from it); DASH_FLOW_ENABLED_KEY
    /// defaults to ENI_MAC and FLOW_TTL_IN_MILLISECONDS to 0, as in SAI.
    /// </summary>
    public SaiStatus CreateFlowTable(out FlowTableId id, ReadOnlySpan<SaiAttribute> attributes) => CreateFlowTable(out id, FlowTableId.Null, attributes);

    /// <summary>
    /// create_flow_table with the id chosen by the caller (an HA standby mirrors its active's tables under the same ids, so
    /// the pair's applications address the same table after a failover); later ids are allocated above it.
    /// </summary>
    /// <returns>ITEM_ALREADY_EXISTS when a table has that id; INVALID_OBJECT_TYPE when it is not a table id.</returns>
    public SaiStatus CreateFlowTable(FlowTableId requestedId, ReadOnlySpan<SaiAttribute> attributes)
    {
        if (ObjectIds.TypeOf(requestedId.Value) != FlowObjectType.FlowTable)
        {
            return SaiStatus.InvalidObjectType;
        }

        return CreateFlowTable(out _, requestedId, attributes);
    }

    private SaiStatus CreateFlowTable(out FlowTableId id, FlowTableId requestedId, ReadOnlySpan<SaiAttribute> attributes)
    {
        id = FlowTableId.Null;
        uint maxFlowCount = 0;
        var enabledKey = FlowEnabledKey.EniMac;
        uint ttlMs = 0;
        bool haveMax = false;
        for (int i = 0; i < attributes.Length; i++)
        {
            if (IsDuplicate(attributes, i))
            {
                return SaiStatuses.InvalidAttribute(i);
            }

            var status = ValidateTableAttribute(in attributes[i], i, ref maxFlowCount, ref enabledKey, ref ttlMs);
            if (status != SaiStatus.Success)
            {
                return status;
            }

            haveMax |= attributes[i].Id == FlowTableAttr.MaxFlowCount;
        }

        if (!haveMax)
        {
            return SaiStatus.MandatoryAttributeMissing;
        }

        lock (_objectLock)
        {
            if (_tables.Count >= Capabilities.MaxFlowTableCount || _reservedEntries + maxFlowCount > Capabilities.MaxFlowEntryCount)
            {
                return SaiStatus.InsufficientResources;
            }

            if (requestedId.Value != 0 && _tables.ContainsKey(requestedId.Value))
            {
                return SaiStatus.ItemAlreadyExists;
            }

            FlowTable table;
            try
            {
                table = new FlowTable(new FlowTableOptions(maxFlowCount, enabledKey, ttlMs, Clock));
            }
            catch (OutOfMemoryException)
            {
                return SaiStatus.NoMemory;
            }

            ulong oid = requestedId.Value != 0 ? ReserveObjectId(requestedId.Value) : NewObjectId(FlowObjectType.FlowTable);
            table.AgingEnabled = _agingEnabled;
            table.ObserveChanges(_changeObserver, oid);
            _tables[oid] = table;
            _reservedEntries += maxFlowCount;
            id = new FlowTableId(oid);
            return SaiStatus.Success;
        }
    }

    /// <summary>remove_flow_table: OBJECT_IN_USE while the table holds entries (D17).</summary>
    public SaiStatus RemoveFlowTable(FlowTableId id)
    {
        lock (_objectLock)
        {
            var status = ResolveTable(id, out var table);
            if (status != SaiStatus.Success)
            {
                return status;
            }

            if (table.Count > 0 || IsTableInUseBySession(id))
            {
                return SaiStatus.ObjectInUse;
            }

            _tables.TryRemove(id.Value, out _);
            _reservedEntries -= table.Capacity;
            table.Dispose();
            return SaiStatus.Success;
        }
    }

    /// <summary>set_flow_table_attribute. MAX_FLOW_COUNT moves within the preallocated records; the enabled key changes only on an empty table.</summary>
    public SaiStatus SetFlowTableAttribute(FlowTableId id, in SaiAttribute attribute)
    {
        lock (_objectLock)
        {
            var status = ResolveTable(id, out var table);
            if (status != SaiStatus.Success)
            {
                return status;
            }

            uint maxFlowCount = (uint)table.MaxFlowCount;
            var enabledKey = table.EnabledKey;
            uint ttlMs = table.TtlMs;
            status = ValidateTableAttribute(in attribute, 0, ref maxFlowCount, ref enabledKey, ref ttlMs);
            if (status != SaiStatus.Success)
            {
                return status;
            }

            switch (attribute.Id)
            {
                case FlowTableAttr.MaxFlowCount:
                    return table.TrySetMaxFlowCount(maxFlowCount) ? SaiStatus.Success : SaiStatus.InsufficientResources;
                case FlowTableAttr.DashFlowEnabledKey:
                    return table.TrySetEnabledKey(enabledKey) ? SaiStatus.Success : SaiStatus.ObjectInUse;
                default:
                    table.TtlMs = ttlMs;
                    return SaiStatus.Success;
            }
        }
    }

    /// <summary>get_flow_table_attribute: fills each requested attribute's value.</summary>
    public SaiStatus GetFlowTableAttribute(FlowTableId id, Span<SaiAttribute> attributes)
    {
        var status = ResolveTable(id, out var table);
        if (status != SaiStatus.Success)
        {
            return status;
        }

        for (int i = 0; i < attributes.Length; i++)
        {
            SaiAttributeValue value;
            switch (attributes[i].Id)
            {
                case FlowTableAttr.MaxFlowCount:
                    value = SaiAttributeValue.FromU32((uint)table.MaxFlowCount);
                    break;
                case FlowTableAttr.DashFlowEnabledKey:
                    value = SaiAttributeValue.FromS32((int)table.EnabledKey);
                    break;
                case FlowTableAttr.FlowTtlInMilliseconds:
                    value = SaiAttributeValue.FromU32(table.TtlMs);
                    break;
                default:
                    return SaiStatuses.UnknownAttribute(i);
            }

            attributes[i] = attributes[i] with { Value = value };
        }

        return SaiStatus.Success;
    }

    /// <summary>create_flow_tables (the generic OID bulk create).</summary>
    public SaiStatus CreateFlowTables(ReadOnlySpan<SaiAttribute[]> attributeLists, BulkErrorMode mode, Span<FlowTableId> ids, Span<SaiStatus> statuses)
    {
        if (ids.Length < attributeLists.Length)
        {
            return SaiStatus.InvalidParameter;
        }

        var step = new CreateTableStep(this, attributeLists.ToArray(), new FlowTableId[attributeLists.Length]);
        var result = BulkExecution.Run(attributeLists.Length, mode, statuses, ref step);
        step.Ids.CopyTo(ids);
        return result;
    }

    /// <summary>remove_flow_tables (the generic OID bulk remove).</summary>
    public SaiStatus RemoveFlowTables(ReadOnlySpan<FlowTableId> ids, BulkErrorMode mode, Span<SaiStatus> statuses)
    {
        var step = new RemoveTableStep(this, ids.ToArray());
        return BulkExecution.Run(ids.Length, mode, statuses, ref step);
    }

    private SaiStatus ValidateTableAttribute(in SaiAttribute attribute, int index, ref uint maxFlowCount, ref FlowEnabledKey enabledKey, ref uint ttlMs)
    {
        var value = attribute.Value;
        switch (attribute.Id)
        {
            case FlowTableAttr.MaxFlowCount:
                if (value.Kind != SaiValueKind.U32 || value.AsU32 == 0 || value.AsU32 > FlowTable.MaxCapacity)
                {
                    return SaiStatuses.InvalidAttrValue(index);
                }

                maxFlowCount = value.AsU32;
                return SaiStatus.Success;
            case FlowTableAttr.DashFlowEnabledKey:
                if (value.Kind != SaiValueKind.S32 || value.AsS32 <= 0 || (value.AsS32 & ~(int)FlowEnabledKey.All) != 0)
                {
                    return SaiStatuses.InvalidAttrValue(index);
                }

                enabledKey = (FlowEnabledKey)value.AsS32;
                return (enabledKey & ~Capabilities.SupportedEnabledKey) != 0 ? SaiStatus.NotSupported : SaiStatus.Success;
            case FlowTableAttr.FlowTtlInMilliseconds:
                if (value.Kind != SaiValueKind.U32)
                {
                    return SaiStatuses.InvalidAttrValue(index);
                }

                ttlMs = value.AsU32;
                return SaiStatus.Success;
            default:
                return SaiStatuses.UnknownAttribute(index);
        }
    }

    private static bool IsDuplicate(ReadOnlySpan<SaiAttribute> attributes, int index)
    {
        for (int j = 0; j < index; j++)
        {
            if (attributes[j].Id == attributes[index].Id)
            {
                return true;
            }
        }

        return false;
    }

    private readonly struct CreateTableStep(FlowApi api, SaiAttribute[][] lists, FlowTableId[] ids) : IBulkStep
    {
        public FlowTableId[] Ids => ids;

        public SaiStatus Execute(int index) => api.CreateFlowTable(out ids[index], lists[index] ?? []);
    }

    private readonly struct RemoveTableStep(FlowApi api, FlowTableId[] ids) : IBulkStep
    {
        public SaiStatus Execute(int index) => api.RemoveFlowTable(ids[index]);
    }
}
