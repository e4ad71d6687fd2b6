using System.Diagnostics;
using DashFlow.Dataplane.Capture;
using DashFlow.Dataplane.Packets;

namespace DashFlow.Dataplane.Pipeline;

/// <summary>Feeds a capture through a pipeline in file order, with the capture's timestamps as the pipeline's clock.</summary>
/// <remarks>Frames go in bursts of <see cref="FlowPipeline.MaxBurst"/> through <see cref="FlowPipeline.ProcessBurst"/>,
/// which gives the results of one-by-one processing; a frame of another link type flushes the burst first, so order holds.</remarks>
public static class CaptureReplay
{
    /// <summary>Replays every frame of <paramref name="reader"/>, then runs a last aging tick.</summary>
    /// <returns>The wall time the replay took.</returns>
    /// <exception cref="CaptureFormatException">The capture is corrupt past its header.</exception>
    public static TimeSpan Run(CaptureReader reader, FlowPipeline pipeline)
    {
        var watch = Stopwatch.StartNew();
        var burst = new Burst();
        while (reader.TryRead(out var record))
        {
            if (record.LinkType == LinkTypes.Ethernet)
            {
                burst.Add(record.Data, record.TimestampNanoseconds, pipeline);
            }
            else
            {
                burst.Flush(pipeline);
                pipeline.Reject(DropReason.UnsupportedLinkType, record.TimestampNanoseconds);
            }
        }

        burst.Flush(pipeline);
        pipeline.RunAgingTick();
        return watch.Elapsed;
    }

    /// <summary>Frames copied out of the reader's buffer (it reuses it per record) until a burst is full.</summary>
    private sealed class Burst
    {
        private readonly int[] _offsets = new int[FlowPipeline.MaxBurst];
        private readonly int[] _lengths = new int[FlowPipeline.MaxBurst];
        private readonly long[] _timestamps = new long[FlowPipeline.MaxBurst];
        private byte[] _buffer = new byte[64 * 1024];
        private int _count;
        private int _used;

        public void Add(ReadOnlySpan<byte> frame, long timestampNanoseconds, FlowPipeline pipeline)
        {
            if (_count == FlowPipeline.MaxBurst || _used + frame.Length > _buffer.Length)
            {
                Flush(pipeline);
                if (frame.Length > _buffer.Length)
                {
                    _buffer = new byte[frame.Length]; // a jumbo or snap-length frame: rare, and kept for the next ones
                }
            }

            frame.CopyTo(_buffer.AsSpan(_used));
            (_offsets[_count], _lengths[_count], _timestamps[_count]) = (_used, frame.Length, timestampNanoseconds);
            _used += frame.Length;
            _count++;
        }

        public void Flush(FlowPipeline pipeline)
        {
            if (_count > 0)
            {
                pipeline.ProcessBurst(_buffer, _offsets.AsSpan(0, _count), _lengths.AsSpan(0, _count), _timestamps.AsSpan(0, _count));
            }

            (_count, _used) = (0, 0);
        }
    }
}
