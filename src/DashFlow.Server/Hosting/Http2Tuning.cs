using Grpc.Net.Client;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DashFlow.Server.Hosting;

/// <summary>
/// HTTP/2 windows and frames sized for bulk transfers: Kestrel's defaults (768 KiB stream window, 16 KiB frames) make a
/// multi-megabyte batch wait for window updates several times per message.
/// </summary>
public static class Http2Tuning
{
    private const int StreamWindow = 16 * 1024 * 1024;
    private const int ConnectionWindow = 32 * 1024 * 1024;
    private const int FrameSize = 1024 * 1024;

    /// <summary>Applies the server-side limits.</summary>
    public static void Apply(KestrelServerLimits limits)
    {
        limits.Http2.InitialStreamWindowSize = StreamWindow;
        limits.Http2.InitialConnectionWindowSize = ConnectionWindow;
        limits.Http2.MaxFrameSize = FrameSize;
    }

    /// <summary>A gRPC channel to <paramref name="address"/> with a large stream window.</summary>
    public static GrpcChannel Channel(string address, int maxMessageBytes = 64 * 1024 * 1024) =>
        GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { InitialHttp2StreamWindowSize = StreamWindow, EnableMultipleHttp2Connections = true },
            MaxReceiveMessageSize = maxMessageBytes,
            MaxSendMessageSize = maxMessageBytes,
        });
}
