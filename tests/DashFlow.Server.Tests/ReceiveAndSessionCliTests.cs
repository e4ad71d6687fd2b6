using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using DashFlow.Api;
using DashFlow.Model;

namespace DashFlow.Server.Tests;

/// <summary><c>dashflow session create</c> into <c>dashflow receive</c>: a GRPC-mode dump written as a SONiC flow dump.</summary>
public sealed class ReceiveAndSessionCliTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task SessionCreateGrpc_IntoReceiveCommand_WritesEveryMatchingFlow()
    {
        Assert.Equal(SaiStatus.Success, agent.Agent.Api.CreateFlowTable(out var table, [SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 1000), SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, 0x7F)]));
        for (ushort i = 0; i < 300; i++)
        {
            var key = new FlowKey(MacAddress.Parse("00:00:02:03:04:05"), 7, 17, IpAddress.Parse("10.5.0.1"), IpAddress.Parse("10.6.0.1"), i, (ushort)(i % 2 == 0 ? 53 : 123));
            Assert.Equal(SaiStatus.Success, agent.Agent.Api.CreateFlowEntry(new FlowEntryAddress(table, key), new FlowState { IsUnidirectional = true, Version = 2 }));
        }

        int port = FreePort();
        string path = Path.Combine(Path.GetTempPath(), $"dashflow-receive-{Guid.NewGuid():N}.jsonl.gz");
        try
        {
            var receiving = Task.Run(() => AgentFixture.Run("receive", "--listen", $"127.0.0.1:{port}", "--output", path, "--sessions", "1"));
            await WaitForListenerAsync(port);

            var created = AgentFixture.Run("session", "create", "--server", agent.Server, "--mode", "grpc", "--receiver", $"127.0.0.1:{port}", "--table", table.ToString(), "--dst-port", "53");
            var received = await receiving.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(0, created.Exit);
            Assert.Equal(0, received.Exit);
            Assert.Contains("150 entries", received.Out, StringComparison.Ordinal);
            using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
            var lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(150, lines.Length);
            Assert.All(lines, l => Assert.Contains("\"dp\":53,", l, StringComparison.Ordinal));

            var state = AgentFixture.Run("session", "get", "--server", agent.Server, "--id", created.Out.Trim());
            Assert.Contains("state            Completed", state.Out, StringComparison.Ordinal);
            Assert.Contains("delivered        150", state.Out, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SessionCreate_GrpcWithoutReceiver_MandatoryAttributeMissing()
    {
        var result = AgentFixture.Run("session", "create", "--server", agent.Server, "--mode", "grpc");

        Assert.Equal(4, result.Exit);
        Assert.Contains("SAI_STATUS_MANDATORY_ATTRIBUTE_MISSING", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void SessionCreate_VendorModeName_UsageError()
    {
        var result = AgentFixture.Run("session", "create", "--server", agent.Server, "--mode", "vendor");

        Assert.Equal(1, result.Exit);
    }

    private static async Task WaitForListenerAsync(int port)
    {
        for (int i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException($"nothing listens on {port}");
    }
}
