using DashFlow.Api;
using DashFlow.Model;

namespace DashFlow.Sessions;

/// <summary>
/// <c>sai_flow_bulk_get_session_event_data_t</c> (spec §3.7): a FLOW_ENTRY event carries the entry (table and key) and
/// its attributes; FINISHED carries no entry and no attributes, and, as DashFlow's D15 extension, the session's final
/// state and the number of entries delivered.
/// </summary>
/// <remarks>
/// EVENT mode sends every readable attribute of §3.4 except FLOW_DATA_PB (which repeats them as one blob): 33 attributes,
/// ids 0..28 and 30..33, in that order; <see cref="FlowApiOptions.BulkGetEventIncludesFlowDataPb"/> appends FLOW_DATA_PB
/// as a 34th. EVENT_WITHOUT_FLOW_STATE sends the key with <see cref="AttrCount"/> = 0.
/// <see cref="Attributes"/> is only valid during the callback (like SAI's <c>attr</c> pointer): copy what you keep.
/// </remarks>
public readonly struct BulkGetSessionEventData
{
    internal BulkGetSessionEventData(BulkGetSessionEvent eventType, FlowEntryAddress flowEntry, ReadOnlyMemory<SaiAttribute> attributes,
        BulkGetSessionState finalState = default, long entriesDelivered = 0)
    {
        EventType = eventType;
        FlowEntry = flowEntry;
        Attributes = attributes;
        FinalState = finalState;
        EntriesDelivered = entriesDelivered;
    }

    /// <summary>FLOW_ENTRY or FINISHED.</summary>
    public BulkGetSessionEvent EventType { get; }

    /// <summary>The entry (its table and key, as the table stores it); default for FINISHED.</summary>
    public FlowEntryAddress FlowEntry { get; }

    /// <summary>The number of attributes.</summary>
    public int AttrCount => Attributes.Length;

    /// <summary>The entry's attributes (empty for FINISHED and in EVENT_WITHOUT_FLOW_STATE mode).</summary>
    public ReadOnlyMemory<SaiAttribute> Attributes { get; }

    /// <summary>FINISHED only: how the session ended (completed, failed or cancelled).</summary>
    public BulkGetSessionState FinalState { get; }

    /// <summary>FINISHED only: the FLOW_ENTRY events (or GRPC records) the session delivered.</summary>
    public long EntriesDelivered { get; }
}

/// <summary>
/// The bulk-get notification (<c>SAI_SWITCH_ATTR_FLOW_BULK_GET_SESSION_EVENT_NOTIFY</c>): <c>(flow_bulk_session_id,
/// count, data[])</c>. It runs on one background thread, one call at a time; while it runs, sessions keep scanning
/// until the bounded queue is full, then wait, so a slow callback slows the sessions instead of growing memory.
/// </summary>
public delegate void BulkGetSessionEventCallback(BulkGetSessionId sessionId, ReadOnlySpan<BulkGetSessionEventData> events);
