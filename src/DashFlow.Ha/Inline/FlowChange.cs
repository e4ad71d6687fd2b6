using DashFlow.Model;

namespace DashFlow.Ha.Inline;

/// <summary>One queued change of the active: what the inline stream sends and what the ack settles.</summary>
internal struct FlowChange
{
    public ulong TableId;
    public FlowKey Key;
    public FlowState State; // for a delete, only Version is meaningful
    public byte[]? VendorMetadata;
    public SyncOp Op;
    public bool Timed;
    public long EnqueuedTicks;
}
