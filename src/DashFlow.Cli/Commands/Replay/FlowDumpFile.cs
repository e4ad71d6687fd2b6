using System.IO.Compression;
using System.Text;
using DashFlow.Engine;
using DashFlow.Model;
using DashFlow.Records;

namespace DashFlow.Cli.Commands.Replay;

/// <summary>Writes a table as SONiC's flow dump (JSON Lines; gzip-compressed when the name ends in .gz).</summary>
public static class FlowDumpFile
{
    /// <summary>Writes every entry of <paramref name="table"/> to <paramref name="path"/>; returns the number written.</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static long Write(FlowTable table, string path)
    {
        using var file = File.Create(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionLevel.Optimal) : file;
        using var writer = new StreamWriter(stream, new UTF8Encoding(false));
        var visitor = new Visitor { Writer = writer };
        table.ScanAll(ref visitor);

        return visitor.Written;
    }

    private struct Visitor : IFlowScanVisitor
    {
        public StreamWriter Writer;
        public long Written;

        public readonly bool NeedsState => true;

        public readonly bool Accept(in FlowEntryView view) => true;

        public bool Visit(in FlowEntryView view, in FlowState state, ReadOnlySpan<byte> vendorMetadata)
        {
            Writer.Write(FlowDumpFormat.ToLine(in view.Key, in state, vendorMetadata));
            Writer.Write('\n');
            Written++;
            return true;
        }
    }
}
