using DashFlow.Model;

namespace DashFlow.Records;

/// <summary>Decoded records waiting for one grouped create (<see cref="Engine.FlowTable.CreateBatch"/>); callers keep one
/// per thread and reuse it, so a batch allocates nothing per record.</summary>
public class DecodedRecordBuffer
{
    /// <summary>Records held: small enough that the arrays stay out of the large object heap.</summary>
    public const int Size = 128;

    /// <summary>The records' keys.</summary>
    public FlowKey[] Keys { get; } = new FlowKey[Size];

    /// <summary>The records' states.</summary>
    public FlowState[] States { get; } = new FlowState[Size];

    /// <summary>The records' vendor metadata (cleared after use, so no reference outlives the batch).</summary>
    public byte[][] VendorMetadata { get; } = new byte[Size][];
}
