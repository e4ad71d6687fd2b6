using System.Collections.Concurrent;
using DashFlow.Model;
using DashFlow.Records;
using DashFlow.Server.Services;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Client;

/// <summary>A receiver consumer that keeps only each flow's key and version, per session, for <c>ha diff</c>.</summary>
public sealed class FlowVersionCollector : IFlowBatchConsumer
{
    private readonly ConcurrentDictionary<ulong, Dictionary<FlowKey, uint>> _sessions = new();
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<Proto.BulkGetCompletion?>> _completions = new();

    /// <summary>Completes when session <paramref name="sessionId"/> delivered its completion (or its stream ended).</summary>
    public Task<Proto.BulkGetCompletion?> Completion(ulong sessionId) => Waiter(sessionId).Task;

    /// <summary>Takes what session <paramref name="sessionId"/> delivered and forgets the session (two agents may use the
    /// same session id one after the other).</summary>
    public Dictionary<FlowKey, uint> Take(ulong sessionId)
    {
        _completions.TryRemove(sessionId, out _);
        return _sessions.TryRemove(sessionId, out var flows) ? flows : [];
    }

    private Dictionary<FlowKey, uint> Flows(ulong sessionId) => _sessions.GetOrAdd(sessionId, _ => []);

    public ValueTask<int> ConsumeAsync(ulong sessionId, FlowRecordBatch batch, CancellationToken cancellationToken)
    {
        var flows = Flows(sessionId);
        var visitor = new Collect { Into = flows };
        lock (flows)
        {
            batch.ForEach(ref visitor);
        }

        return ValueTask.FromResult(batch.Count);
    }

    public ValueTask CompleteAsync(ulong sessionId, Proto.BulkGetCompletion? completion, CancellationToken cancellationToken)
    {
        Waiter(sessionId).TrySetResult(completion);
        return ValueTask.CompletedTask;
    }

    private TaskCompletionSource<Proto.BulkGetCompletion?> Waiter(ulong sessionId) =>
        _completions.GetOrAdd(sessionId, _ => new TaskCompletionSource<Proto.BulkGetCompletion?>(TaskCreationOptions.RunContinuationsAsynchronously));

    private struct Collect : IFlowRecordVisitor
    {
        public Dictionary<FlowKey, uint> Into;

        public readonly void Visit(in FlowKey key, in FlowState state, byte[] vendorMetadata) => Into[key] = state.Version;
    }
}
