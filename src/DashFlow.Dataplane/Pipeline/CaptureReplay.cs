using System.Diagnostics;
using DashFlow.Dataplane.Capture;
using DashFlow.Dataplane.Packets;

namespace DashFlow.Dataplane.Pipeline;

/// <summary>Feeds a capture through a pipeline in file order, with the capture's timestamps as the pipeline's clock.</summary>
public static class CaptureReplay
{
    /// <summary>Replays every frame of <paramref name="reader"/>, then runs a last aging tick.</summary>
    /// <returns>The wall time the replay took.</returns>
    /// <exception cref="CaptureFormatException">The capture is corrupt past its header.</exception>
    public static TimeSpan Run(CaptureReader reader, FlowPipeline pipeline)
    {
        var watch = Stopwatch.StartNew();
        while (reader.TryRead(out var record))
        {
            if (record.LinkType == LinkTypes.Ethernet)
            {
                pipeline.Process(record.Data, record.TimestampNanoseconds);
            }
            else
            {
                pipeline.Reject(DropReason.UnsupportedLinkType, record.TimestampNanoseconds);
            }
        }

        pipeline.RunAgingTick();
        return watch.Elapsed;
    }
}
