using System.Collections.Concurrent;
using DashFlow.Model;
using DashFlow.Sessions;

namespace DashFlow.Api;

// Bulk-get session filters: create/remove/set/get_flow_entry_bulk_get_session_filter(_attribute) and the bulk forms.
public sealed partial class FlowApi
{
    private readonly ConcurrentDictionary<ulong, BulkGetFilter> _filters = new();

    /// <summary>
    /// create_flow_entry_bulk_get_session_filter. KEY and OP are mandatory (MANDATORY_ATTRIBUTE_MISSING). D13: an op the
    /// key does not take is INVALID_ATTR_VALUE on the OP attribute; a value attribute of the wrong kind for the key (an IP
    /// value on a port key) or an AGED value other than 0/1 is INVALID_ATTR_VALUE on that value attribute.
    /// </summary>
    public SaiStatus CreateFlowEntryBulkGetSessionFilter(out BulkGetSessionFilterId id, ReadOnlySpan<SaiAttribute> attributes)
    {
        id = BulkGetSessionFilterId.Null;
        if (!Capabilities.BulkGetSession)
        {
            return SaiStatus.NotSupported;
        }

        var filter = default(BulkGetFilter);
        int keyAt = -1, opAt = -1, intAt = -1, ipAt = -1, macAt = -1;
        for (int i = 0; i < attributes.Length; i++)
        {
            if (IsDuplicate(attributes, i))
            {
                return SaiStatuses.InvalidAttribute(i);
            }

            var status = ApplyFilterAttribute(ref filter, in attributes[i], i);
            if (status != SaiStatus.Success)
            {
                return status;
            }

            switch (attributes[i].Id)
            {
                case BulkGetSessionFilterAttr.Key: keyAt = i; break;
                case BulkGetSessionFilterAttr.Op: opAt = i; break;
                case BulkGetSessionFilterAttr.IntValue: intAt = i; break;
                case BulkGetSessionFilterAttr.IpValue: ipAt = i; break;
                default: macAt = i; break;
            }
        }

        if (keyAt < 0 || opAt < 0)
        {
            return SaiStatus.MandatoryAttributeMissing;
        }

        if (!BulkGetFilter.IsOpAllowed(filter.Key, filter.Op))
        {
            return SaiStatuses.InvalidAttrValue(opAt);
        }

        var kind = BulkGetFilter.ValueKindOf(filter.Key);
        int misfit = kind switch
        {
            BulkGetFilterValueKind.Int => Math.Max(ipAt, macAt),
            BulkGetFilterValueKind.Ip => Math.Max(intAt, macAt),
            _ => Math.Max(intAt, ipAt),
        };
        if (misfit >= 0)
        {
            return SaiStatuses.InvalidAttrValue(misfit);
        }

        if (!filter.IsValid)
        {
            return SaiStatuses.InvalidAttrValue(intAt); // AGED with a value other than 0/1
        }

        ulong oid = NewObjectId(FlowObjectType.BulkGetSessionFilter);
        _filters[oid] = filter;
        id = new BulkGetSessionFilterId(oid);
        return SaiStatus.Success;
    }

    /// <summary>The typed form: a filter from its key, op and value.</summary>
    public SaiStatus CreateFlowEntryBulkGetSessionFilter(out BulkGetSessionFilterId id, in BulkGetFilter filter)
    {
        var value = BulkGetFilter.ValueKindOf(filter.Key) switch
        {
            BulkGetFilterValueKind.Ip => SaiAttribute.Ip(BulkGetSessionFilterAttr.IpValue, filter.IpValue),
            BulkGetFilterValueKind.Mac => SaiAttribute.Mac(BulkGetSessionFilterAttr.MacValue, filter.MacValue),
            _ => SaiAttribute.U64(BulkGetSessionFilterAttr.IntValue, filter.IntValue),
        };
        return CreateFlowEntryBulkGetSessionFilter(out id,
            [SaiAttribute.S32(BulkGetSessionFilterAttr.Key, (int)filter.Key), SaiAttribute.S32(BulkGetSessionFilterAttr.Op, (int)filter.Op), value]);
    }

    /// <summary>remove_flow_entry_bulk_get_session_filter: OBJECT_IN_USE while a live session names it.</summary>
    public SaiStatus RemoveFlowEntryBulkGetSessionFilter(BulkGetSessionFilterId id)
    {
        lock (_objectLock)
        {
            var status = ResolveFilter(id, out _);
            if (status != SaiStatus.Success)
            {
                return status;
            }

            if (IsFilterInUse(id.Value))
            {
                return SaiStatus.ObjectInUse;
            }

            _filters.TryRemove(id.Value, out _);
            return SaiStatus.Success;
        }
    }

    /// <summary>
    /// set_flow_entry_bulk_get_session_filter_attribute. OBJECT_IN_USE while a live session names the filter (a session
    /// compiles its filters when it starts). The changed filter must stay valid (INVALID_ATTR_VALUE_0 otherwise): change
    /// the op to EQUAL_TO before moving a range filter to the MAC key, for instance.
    /// </summary>
    public SaiStatus SetFlowEntryBulkGetSessionFilterAttribute(BulkGetSessionFilterId id, in SaiAttribute attribute)
    {
        lock (_objectLock)
        {
            var status = ResolveFilter(id, out var filter);
            if (status != SaiStatus.Success)
            {
                return status;
            }

            if (IsFilterInUse(id.Value))
            {
                return SaiStatus.ObjectInUse;
            }

            status = ApplyFilterAttribute(ref filter, in attribute, 0);
            if (status != SaiStatus.Success)
            {
                return status;
            }

            var kind = BulkGetFilter.ValueKindOf(filter.Key);
            bool fits = attribute.Id switch
            {
                BulkGetSessionFilterAttr.IntValue => kind == BulkGetFilterValueKind.Int,
                BulkGetSessionFilterAttr.IpValue => kind == BulkGetFilterValueKind.Ip,
                BulkGetSessionFilterAttr.MacValue => kind == BulkGetFilterValueKind.Mac,
                _ => true,
            };
            if (!fits || !filter.IsValid)
            {
                return SaiStatuses.InvalidAttrValue(0);
            }

            _filters[id.Value] = filter;
            return SaiStatus.Success;
        }
    }

    /// <summary>get_flow_entry_bulk_get_session_filter_attribute.</summary>
    public SaiStatus GetFlowEntryBulkGetSessionFilterAttribute(BulkGetSessionFilterId id, Span<SaiAttribute> attributes)
    {
        var status = ResolveFilter(id, out var filter);
        if (status != SaiStatus.Success)
        {
            return status;
        }

        for (int i = 0; i < attributes.Length; i++)
        {
            SaiAttributeValue value = attributes[i].Id switch
            {
                BulkGetSessionFilterAttr.Key => SaiAttributeValue.FromS32((int)filter.Key),
                BulkGetSessionFilterAttr.Op => SaiAttributeValue.FromS32((int)filter.Op),
                BulkGetSessionFilterAttr.IntValue => SaiAttributeValue.FromU64(filter.IntValue),
                BulkGetSessionFilterAttr.IpValue => SaiAttributeValue.FromIp(filter.IpValue),
                BulkGetSessionFilterAttr.MacValue => SaiAttributeValue.FromMac(filter.MacValue),
                _ => default,
            };
            if (value.Kind == SaiValueKind.None)
            {
                return SaiStatuses.UnknownAttribute(i);
            }

            attributes[i] = attributes[i] with { Value = value };
        }

        return SaiStatus.Success;
    }

    /// <summary>The typed form of get: the filter's key, op and values.</summary>
    public SaiStatus GetFlowEntryBulkGetSessionFilter(BulkGetSessionFilterId id, out BulkGetFilter filter) => ResolveFilter(id, out filter);

    /// <summary>create_flow_entry_bulk_get_session_filters (the generic OID bulk create).</summary>
    public SaiStatus CreateFlowEntryBulkGetSessionFilters(ReadOnlySpan<SaiAttribute[]> attributeLists, BulkErrorMode mode, Span<BulkGetSessionFilterId> ids, Span<SaiStatus> statuses)
    {
        if (ids.Length < attributeLists.Length)
        {
            return SaiStatus.InvalidParameter;
        }

        var step = new CreateFilterStep(this, attributeLists.ToArray(), new BulkGetSessionFilterId[attributeLists.Length]);
        var result = BulkExecution.Run(attributeLists.Length, mode, statuses, ref step);
        step.Ids.CopyTo(ids);
        return result;
    }

    /// <summary>remove_flow_entry_bulk_get_session_filters (the generic OID bulk remove).</summary>
    public SaiStatus RemoveFlowEntryBulkGetSessionFilters(ReadOnlySpan<BulkGetSessionFilterId> ids, BulkErrorMode mode, Span<SaiStatus> statuses)
    {
        var step = new RemoveFilterStep(this, ids.ToArray());
        return BulkExecution.Run(ids.Length, mode, statuses, ref step);
    }

    /// <summary>Checks one attribute's kind and range and applies it (no cross-attribute rule).</summary>
    private static SaiStatus ApplyFilterAttribute(ref BulkGetFilter filter, in SaiAttribute attribute, int index)
    {
        var v = attribute.Value;
        switch (attribute.Id)
        {
            case BulkGetSessionFilterAttr.Key:
                if (v.Kind != SaiValueKind.S32 || !BulkGetFilter.IsValidKey((BulkGetFilterKey)v.AsS32))
                {
                    return SaiStatuses.InvalidAttrValue(index);
                }

                filter = filter with { Key = (BulkGetFilterKey)v.AsS32 };
                return SaiStatus.Success;
            case BulkGetSessionFilterAttr.Op:
                if (v.Kind != SaiValueKind.S32 || !BulkGetFilter.IsValidOp((BulkGetFilterOp)v.AsS32))
                {
                    return SaiStatuses.InvalidAttrValue(index);
                }

                filter = filter with { Op = (BulkGetFilterOp)v.AsS32 };
                return SaiStatus.Success;
            case BulkGetSessionFilterAttr.IntValue:
                if (v.Kind != SaiValueKind.U64)
                {
                    return SaiStatuses.InvalidAttrValue(index);
                }

                filter = filter with { IntValue = v.AsU64 };
                return SaiStatus.Success;
            case BulkGetSessionFilterAttr.IpValue:
                if (v.Kind != SaiValueKind.Ip)
                {
                    return SaiStatuses.InvalidAttrValue(index);
                }

                filter = filter with { IpValue = v.AsIp };
                return SaiStatus.Success;
            case BulkGetSessionFilterAttr.MacValue:
                if (v.Kind != SaiValueKind.Mac)
                {
                    return SaiStatuses.InvalidAttrValue(index);
                }

                filter = filter with { MacValue = v.AsMac };
                return SaiStatus.Success;
            default:
                return SaiStatuses.UnknownAttribute(index);
        }
    }

    /// <summary>INVALID_PARAMETER for the null id, INVALID_OBJECT_TYPE for another kind of id, ITEM_NOT_FOUND for an unknown one.</summary>
    private SaiStatus ResolveFilter(BulkGetSessionFilterId id, out BulkGetFilter filter)
    {
        filter = default;
        if (id.Value == 0)
        {
            return SaiStatus.InvalidParameter;
        }

        if (ObjectIds.TypeOf(id.Value) != FlowObjectType.BulkGetSessionFilter)
        {
            return SaiStatus.InvalidObjectType;
        }

        return _filters.TryGetValue(id.Value, out filter) ? SaiStatus.Success : SaiStatus.ItemNotFound;
    }

    private bool IsFilterInUse(ulong filterId)
    {
        foreach (var session in _sessions.Values)
        {
            if (session.Config.References(filterId) && session.IsLive)
            {
                return true;
            }
        }

        return false;
    }

    private readonly struct CreateFilterStep(FlowApi api, SaiAttribute[][] lists, BulkGetSessionFilterId[] ids) : IBulkStep
    {
        public BulkGetSessionFilterId[] Ids => ids;

        public SaiStatus Execute(int index) => api.CreateFlowEntryBulkGetSessionFilter(out ids[index], lists[index] ?? []);
    }

    private readonly struct RemoveFilterStep(FlowApi api, BulkGetSessionFilterId[] ids) : IBulkStep
    {
        public SaiStatus Execute(int index) => api.RemoveFlowEntryBulkGetSessionFilter(ids[index]);
    }
}

/// <summary><c>SAI_FLOW_ENTRY_BULK_GET_SESSION_FILTER_ATTR_*</c> ordinals (spec §3.6).</summary>
public static class BulkGetSessionFilterAttr
{
    /// <summary>DASH_FLOW_ENTRY_BULK_GET_SESSION_FILTER_KEY (<see cref="BulkGetFilterKey"/>, S32).</summary>
    public const uint Key = 0;

    /// <summary>DASH_FLOW_ENTRY_BULK_GET_SESSION_OP_KEY (<see cref="BulkGetFilterOp"/>, S32).</summary>
    public const uint Op = 1;

    /// <summary>INT_VALUE (U64).</summary>
    public const uint IntValue = 2;

    /// <summary>IP_VALUE.</summary>
    public const uint IpValue = 3;

    /// <summary>MAC_VALUE.</summary>
    public const uint MacValue = 4;

    public const uint End = 5;
}
