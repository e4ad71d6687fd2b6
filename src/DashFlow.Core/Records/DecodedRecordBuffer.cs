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

    /// <summary>The records' vendor metadata.</summary>
    public byte[][] VendorMetadata { get; } = new byte[Size][];

    /// <summary>Records added since the last <see cref="Clear"/>.</summary>
    public int Count { get; private set; }

    /// <summary>True when no more records fit.</summary>
    public bool IsFull => Count == Size;

    /// <summary>Appends one record (the caller checks <see cref="IsFull"/> first).</summary>
    public void Add(in FlowKey key, in FlowState state, byte[] vendorMetadata)
    {
        Keys[Count] = key;
        States[Count] = state;
        VendorMetadata[Count] = vendorMetadata;
        Count++;
    }

    /// <summary>Empties the buffer, dropping its vendor metadata references so none outlives the batch.</summary>
    public void Clear()
    {
        VendorMetadata.AsSpan(0, Count).Clear();
        Count = 0;
    }
}
