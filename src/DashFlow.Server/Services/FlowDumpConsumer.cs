using System.IO.Compression;
using DashFlow.Model;
using DashFlow.Records;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Services;

/// <summary>
/// A receiver that writes what GRPC-mode sessions send to a SONiC flow-dump file (JSON Lines, gzip when the name ends in
/// .gz): <c>dashflow receive</c>. Streams may arrive concurrently; lines are written under a lock.
/// </summary>
public sealed class FlowDumpConsumer : IFlowBatchConsumer, IDisposable
{
    private readonly Lock _lock = new();
    private readonly StreamWriter _writer;
    private long _written;

    private readonly string _path;
    private readonly bool _gzip;

    public FlowDumpConsumer(string path)
    {
        _path = path;
        _gzip = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        var file = File.Create(path);
        Stream stream = _gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        _writer = new StreamWriter(stream);
    }

    /// <summary>Flows written so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Completes with each session's completion summary.</summary>
    public event Action<ulong, Proto.BulkGetCompletion?>? SessionCompleted;

    public ValueTask<int> ConsumeAsync(ulong sessionId, FlowRecordBatch batch, CancellationToken cancellationToken)
    {
        var lines = new LineCollector(new List<string>(batch.Count));
        batch.ForEach(ref lines);
        lock (_lock)
        {
            foreach (string line in lines.Lines)
            {
                _writer.WriteLine(line);
            }
        }

        Interlocked.Add(ref _written, lines.Lines.Count);
        return ValueTask.FromResult(lines.Lines.Count);
    }

    public ValueTask CompleteAsync(ulong sessionId, Proto.BulkGetCompletion? completion, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _writer.Flush();
        }

        SessionCompleted?.Invoke(sessionId, completion);
        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _writer.Dispose();
            if (_gzip && Written == 0)
            {
                // GZipStream writes nothing at all when given nothing, and no reader accepts a 0-byte .gz: write the
                // canonical empty member (header, an empty final deflate block, CRC 0, size 0).
                File.WriteAllBytes(_path, [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0xFF, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            }
        }
    }

    private readonly struct LineCollector(List<string> lines) : IFlowRecordVisitor
    {
        public List<string> Lines => lines;

        public void Visit(in FlowKey key, in FlowState state, byte[] vendorMetadata) => lines.Add(FlowDumpFormat.ToLine(in key, in state, vendorMetadata));
    }
}
