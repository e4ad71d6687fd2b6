using DashFlow.Engine;
using DashFlow.Sessions;

namespace DashFlow.Api;

/// <summary>How a <see cref="FlowApi"/> instance (one switch/device) is set up.</summary>
public sealed record FlowApiOptions
{
    /// <summary>What this instance supports; a partial implementation turns features off.</summary>
    public FlowCapabilities Capabilities { get; init; } = FlowCapabilities.Full;

    /// <summary>The aging clock every table of this device uses: wall time unless replay or tests drive it.</summary>
    public FlowClock Clock { get; init; } = FlowClock.Wall();

    /// <summary>Opens the receiver of a GRPC-mode bulk get session (SERVER_IP, SERVER_PORT); without one, GRPC mode is
    /// NOT_SUPPORTED.</summary>
    public FlowRecordSinkFactory? RecordSinkFactory { get; init; }

    /// <summary>Records a session scans per time slice, between two deliveries (the engine cursor's step).</summary>
    public int BulkGetSliceRecords { get; init; } = 4096;

    /// <summary>Records per batch handed to a GRPC-mode sink.</summary>
    public int BulkGetRecordBatchSize { get; init; } = 1024;

    /// <summary>Capacity of the bulk-get notification queue, in batches of 128 events; a full queue makes sessions wait.</summary>
    public int BulkGetEventQueueCapacity { get; init; } = 16;

    /// <summary>EVENT-mode notifications carry the 33 readable attributes of an entry; with this set, FLOW_DATA_PB (the
    /// same data as one protobuf record) is appended as a 34th.</summary>
    public bool BulkGetEventIncludesFlowDataPb { get; init; }

    /// <summary>Sessions that may run at once (INSUFFICIENT_RESOURCES beyond).</summary>
    public int MaxBulkGetSessions { get; init; } = 64;
}
