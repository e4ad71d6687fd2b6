using System.Collections.Concurrent;
using DashFlow.Records;
using DashFlow.Server.Services;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Ha;

/// <summary>
/// The receiver of an HA agent: bulk-sync records go to the HA node while it receives a bulk sync; anything else goes to
/// the agent's usual consumer. A bulk-sync batch is decoded on the receiving stream while the batch before it is applied
/// in the background (in order, one at a time), so reading and decoding overlap applying; <see cref="DrainAsync"/> and
/// <see cref="CompleteAsync"/> wait for the last apply.
/// </summary>
public sealed class HaReceiverConsumer(HaNode node, IFlowBatchConsumer fallback) : IFlowBatchConsumer
{
    private readonly ConcurrentDictionary<ulong, Pipeline> _pipelines = new();

    public async ValueTask<int> ConsumeAsync(ulong sessionId, FlowRecordBatch batch, CancellationToken cancellationToken)
    {
        var pipeline = _pipelines.GetOrAdd(sessionId, static _ => new Pipeline());
        var decoded = pipeline.Spare;
        if (!node.TryDecodeBulk(batch, decoded))
        {
            int before = await pipeline.WaitAsync().ConfigureAwait(false);
            return before + await fallback.ConsumeAsync(sessionId, batch, cancellationToken).ConfigureAwait(false);
        }

        int previous = await pipeline.WaitAsync().ConfigureAwait(false);
        pipeline.Start(node, decoded);
        return previous;
    }

    public async ValueTask<int> DrainAsync(ulong sessionId, CancellationToken cancellationToken)
    {
        int applied = _pipelines.TryRemove(sessionId, out var pipeline) ? await pipeline.WaitAsync().ConfigureAwait(false) : 0;
        return applied + await fallback.DrainAsync(sessionId, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask CompleteAsync(ulong sessionId, Proto.BulkGetCompletion? completion, CancellationToken cancellationToken)
    {
        if (_pipelines.TryRemove(sessionId, out var pipeline))
        {
            await pipeline.WaitAsync().ConfigureAwait(false);
        }

        await fallback.CompleteAsync(sessionId, completion, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One session's two decode buffers: one being applied, one being decoded into.</summary>
    private sealed class Pipeline
    {
        private readonly DecodedBulkBatch[] _buffers = [new(), new()];
        private int _next;
        private Task<int>? _applying;

        /// <summary>The buffer no apply uses (the other one may be in use until <see cref="WaitAsync"/>).</summary>
        public DecodedBulkBatch Spare => _buffers[_next];

        public async ValueTask<int> WaitAsync()
        {
            if (_applying is not { } applying)
            {
                return 0;
            }

            _applying = null;
            return await applying.ConfigureAwait(false);
        }

        public void Start(HaNode node, DecodedBulkBatch decoded)
        {
            _next ^= 1;
            _applying = Task.Run(() => node.ApplyBulk(decoded));
        }
    }
}
