using System.Runtime.CompilerServices;
using DashFlow.Engine;
using DashFlow.Ha.Inline;
using DashFlow.Ha.Roles;
using DashFlow.Ha.Standby;
using DashFlow.Model;
using DashFlow.Records;
using Google.Protobuf;
using Grpc.Core;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Ha;

// Inline sync: the active's sender loop (one stream at a time, resending what was not acked after a break) and the
// standby's application of each batch.
public sealed partial class HaNode
{
    private int _replicationEpoch;
    private CancellationTokenSource? _currentStream;
    private readonly Lock _syncApplyLock = new(); // one standby-side sync batch at a time: inline, range, or the clear before a bulk sync
    private long _inlineStream; // the newest inline stream from the peer; only its batches are applied

    /// <summary>Breaks the current inline stream, as a network fault would (tests).</summary>
    internal void CutInlineStream()
    {
        try
        {
            _currentStream?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // That stream already ended.
        }
    }

    /// <summary>True while this node applies the peer's sync (its state allows it and its tables are ready).</summary>
    public bool AcceptingSync => State.AcceptsSync() && _acceptingSync;

    /// <summary>
    /// Registers an inline stream the peer opened. It supersedes every earlier one: after a break the active resends,
    /// on its new stream and in order, everything not acked, so a batch still arriving on an older stream is refused.
    /// </summary>
    /// <returns>The stream's number, to pass to <see cref="ApplyInline"/>.</returns>
    public long BeginInlineStream() => Interlocked.Increment(ref _inlineStream);

    /// <summary>Refuses every batch of the inline streams open now (the node left replication or a new sync starts).</summary>
    private void SupersedeInlineStreams() => Interlocked.Increment(ref _inlineStream);

    /// <summary>
    /// Applies one inline batch of stream <paramref name="stream"/> in order and builds its ack, or refuses it (null)
    /// when a newer stream superseded that one; <paramref name="packedEntries"/> holds the batch's packed records (the
    /// receiver reads them into a pooled buffer, not into the message).
    /// </summary>
    /// <remarks>
    /// Batches are applied one at a time: the handler of a broken stream can still be applying a batch when the active's
    /// next stream starts resending the same changes, and its older changes applied after the resent newer ones (a create
    /// after the delete that followed it) would leave the standby with flows the active removed. For the same reason a
    /// state change that ends replication or starts a new sync supersedes every open stream (<see cref="SupersedeInlineStreams"/>),
    /// and range batches and the clear before a bulk sync wait for a batch under way.
    /// </remarks>
    public Proto.FlowSyncAckBatch? ApplyInline(long stream, Proto.FlowSyncBatch batch, ReadOnlyMemory<byte> packedEntries)
    {
        lock (_syncApplyLock)
        {
            if (stream != Volatile.Read(ref _inlineStream))
            {
                Counters.InlineBatchSuperseded();
                return null;
            }

            return ApplyInlineLocked(batch, packedEntries);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per change; tiering is held back while the agent keeps JIT-compiling
    private Proto.FlowSyncAckBatch ApplyInlineLocked(Proto.FlowSyncBatch batch, ReadOnlyMemory<byte> packedEntries)
    {
        var ack = new Proto.FlowSyncAckBatch { FirstSeq = batch.FirstSeq };
        if (batch.PackedCount > 0)
        {
            var results = new byte[batch.PackedCount];
            var spec = batch.Table.ToSpec();
            if (_applier.EnsureTable(batch.FlowTableId, spec, out var table))
            {
                var visitor = new InlineApplier(this, table, batch.FlowTableId, batch.Ops.Memory, results);
                FlowRecordBatch.FromPacked(packedEntries, (int)batch.PackedCount).ForEach(ref visitor);
                visitor.Flush();
            }
            else
            {
                results.AsSpan().Fill((byte)SyncResult.Failed);
            }

            ack.Results = UnsafeByteOperations.UnsafeWrap(results);
        }

        foreach (var request in batch.Requests)
        {
            ack.Acks.Add(new Proto.FlowSyncAck { Seq = request.Seq, Result = (uint)ApplyOne(request) });
        }

        return ack;
    }

    private SyncResult ApplyOne(Proto.FlowSyncRequest request)
    {
        if (!_api.TryGetTable(new DashFlow.Api.FlowTableId(request.FlowTableId), out var table)
            || FlowRecordCodec.TryFromMessage(request.Entry, out var key, out var state, out var vendor) != SaiStatus.Success)
        {
            return SyncResult.Failed;
        }

        return _applier.ApplyInline(table, request.FlowTableId, (SyncOp)request.Op, request.Timed, in key, in state, vendor);
    }

    /// <summary>The active's sender: while changes are recorded (or left to drain) keeps one stream to the peer open.</summary>
    private async Task RunSenderAsync(CancellationToken cancellationToken)
    {
        var records = new FlowRecordBatch(256 * 1024);
        var ops = new byte[_options.InlineBatch];
        while (!cancellationToken.IsCancellationRequested)
        {
            if (!_queue.Enabled && _queue.Pending == 0)
            {
                await Delay(_options.Timings.HeartbeatIntervalMs / 4, cancellationToken).ConfigureAwait(false);
                continue;
            }

            int epoch = Volatile.Read(ref _replicationEpoch);
            using var streamStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _currentStream = streamStop;
            try
            {
                _queue.Rewind(); // a new stream starts from the first unacked change
                using var call = _inlinePeer.InlineSync(cancellationToken: streamStop.Token);
                var acks = ReadAcksAsync(call.ResponseStream, streamStop.Token);
                while (!cancellationToken.IsCancellationRequested && epoch == Volatile.Read(ref _replicationEpoch)
                    && (_queue.Enabled || _queue.Pending > 0) && !acks.IsCompleted)
                {
                    int taken = _queue.TakeBatch(records, ops, ops.Length, out long firstSeq, out ulong tableId);
                    if (taken == 0)
                    {
                        await Task.WhenAny(_queue.WaitForWorkAsync(streamStop.Token), acks, Task.Delay(50, streamStop.Token)).ConfigureAwait(false);
                        continue;
                    }

                    var spec = HaTableSpec.Of(_api, new DashFlow.Api.FlowTableId(tableId)) ?? default;
                    await call.RequestStream.WriteAsync(new Proto.FlowSyncBatch
                    {
                        FirstSeq = (ulong)firstSeq,
                        PackedCount = (uint)taken,
                        // Wrapped, not copied: the write is awaited (the message serialized) before the buffers are refilled.
                        Ops = UnsafeByteOperations.UnsafeWrap(ops.AsMemory(0, taken)),
                        PackedEntries = UnsafeByteOperations.UnsafeWrap(records.Packed),
                        FlowTableId = tableId,
                        Table = spec.ToMessage(),
                    }, streamStop.Token).ConfigureAwait(false);
                }

                if (acks.IsCompleted)
                {
                    await acks.ConfigureAwait(false); // surfaces why the peer ended the stream
                }

                await call.RequestStream.CompleteAsync().ConfigureAwait(false);
                await acks.WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RpcException or IOException or OperationCanceledException or TimeoutException or InvalidOperationException)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                Counters.InlineReconnected();
                await streamStop.CancelAsync().ConfigureAwait(false);
                await Delay(_options.Timings.HeartbeatIntervalMs / 2, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ReadAcksAsync(IAsyncStreamReader<Proto.FlowSyncAckBatch> acks, CancellationToken cancellationToken)
    {
        while (await acks.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var ack = acks.Current;
            _queue.Ack((long)ack.FirstSeq, ack.Results.Span);
        }
    }

    private static async Task Delay(int milliseconds, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Math.Max(milliseconds, 1), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The caller's loop checks the token.
        }
    }

    /// <summary>Applies an inline batch's changes in order; runs of CREATEs are handed to the applier in groups.</summary>
    private struct InlineApplier(HaNode node, FlowTable table, ulong tableId, ReadOnlyMemory<byte> ops, byte[] results) : IFlowRecordVisitor
    {
        private int _position;
        private int _pendingStart; // the position of the first create buffered in the scratch
        private InlineScratch? _scratch;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per change; tiering is held back while the agent keeps JIT-compiling
        public void Visit(in FlowKey key, in FlowState state, byte[] vendorMetadata)
        {
            if (_position >= results.Length)
            {
                return;
            }

            byte op = _position < ops.Length ? ops.Span[_position] : (byte)0;
            bool timed = (op & 0x80) != 0;
            if ((SyncOp)(op & 0x7F) != SyncOp.Create)
            {
                Flush();
                results[_position++] = (byte)node._applier.ApplyInline(table, tableId, (SyncOp)(op & 0x7F), timed, in key, in state, vendorMetadata);
                return;
            }

            var scratch = _scratch ??= t_inlineScratch ?? new InlineScratch();
            t_inlineScratch = null; // taken until Flush gives it back
            if (scratch.Count == 0)
            {
                _pendingStart = _position;
            }

            scratch.Timed[scratch.Count] = timed;
            scratch.Add(in key, in state, vendorMetadata);
            _position++;
            if (scratch.IsFull)
            {
                Flush();
            }
        }

        public void Refused(SaiStatus status)
        {
            Flush();
            if (_position < results.Length)
            {
                results[_position++] = (byte)SyncResult.Failed;
            }
        }

        /// <summary>Applies the buffered creates (call once the batch is walked).</summary>
        public void Flush()
        {
            if (_scratch is not { } scratch)
            {
                return;
            }

            int n = scratch.Count;
            if (n > 0)
            {
                node._applier.ApplyInlineCreates(table, tableId, scratch.Keys.AsSpan(0, n), scratch.States.AsSpan(0, n), scratch.VendorMetadata.AsSpan(0, n), scratch.Timed.AsSpan(0, n), results.AsSpan(_pendingStart, n));
                scratch.Clear();
            }

            _scratch = null;
            t_inlineScratch = scratch;
        }
    }

    [ThreadStatic]
    private static InlineScratch? t_inlineScratch;

    /// <summary>Decoded inline creates waiting for one grouped apply, with whether each is timed; reused per thread.</summary>
    private sealed class InlineScratch : DecodedRecordBuffer
    {
        public bool[] Timed { get; } = new bool[Size];
    }
}
