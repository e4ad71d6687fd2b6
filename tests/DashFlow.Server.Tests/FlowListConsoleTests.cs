using System.IO.Compression;
using System.Text.Json;
using DashFlow.Api;
using DashFlow.Model;

namespace DashFlow.Server.Tests;

/// <summary>The diagnosis console, <c>dashflow flow list</c>, and the single-entry flow commands against a real agent.</summary>
public sealed class FlowListConsoleTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    private static readonly IpAddress s_vmA = IpAddress.Parse("10.1.1.10");
    private static readonly IpAddress s_vmB = IpAddress.Parse("10.2.2.20");

    /// <summary>A table holding 40 flows A→B:443, 40 A→B:80 and 40 C→B:443.</summary>
    private string LoadTable()
    {
        Assert.Equal(Model.SaiStatus.Success, agent.Agent.Api.CreateFlowTable(out var table, [SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 1000), SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, 0x7F)]));
        var vmC = IpAddress.Parse("10.3.3.30");
        for (ushort i = 0; i < 40; i++)
        {
            foreach (var (src, port) in new[] { (s_vmA, (ushort)443), (s_vmA, (ushort)80), (vmC, (ushort)443) })
            {
                var key = new FlowKey(MacAddress.Parse("00:00:02:03:04:05"), 100, 6, src, s_vmB, (ushort)(30000 + i), port);
                var state = new FlowState { Version = i, IsUnidirectional = true, Direction = FlowDirection.Outbound, Actions = FlowAction.EncapU0 | FlowAction.SetDmac };
                Assert.Equal(Model.SaiStatus.Success, agent.Agent.Api.CreateFlowEntry(new FlowEntryAddress(table, key), in state));
            }
        }

        return table.ToString();
    }

    [Fact]
    public void FlowList_TenFlowsFromVmAToVmB443_TableOfTen()
    {
        string table = LoadTable();

        var result = AgentFixture.Run("flow", "list", "--server", agent.Server, "--table", table, "--src-ip", "10.1.1.10", "--dst-ip", "10.2.2.20", "--dst-port", "443");

        Assert.Equal(0, result.Exit);
        Assert.Equal(10, result.Out.Split('\n').Count(l => l.Contains("10.1.1.10:", StringComparison.Ordinal) && l.Contains("10.2.2.20:443", StringComparison.Ordinal)));
        Assert.DoesNotContain(":80 ", result.Out, StringComparison.Ordinal);
        Assert.Contains("ENCAP_U0|SET_DMAC", result.Out, StringComparison.Ordinal);
        Assert.Contains("10 flows", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void FlowList_JsonWithVersionRange_SonicDumpKeys()
    {
        string table = LoadTable();

        var result = AgentFixture.Run("flow", "list", "--server", agent.Server, "--table", table, "--src-ip", "10.1.1.0/24", "--version", "gt:3", "--version", "lt:5", "--limit", "0", "--json");

        Assert.Equal(0, result.Exit);
        var lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length); // version 4, ports 443 and 80
        foreach (string line in lines)
        {
            using var json = JsonDocument.Parse(line);
            Assert.Equal("10.1.1.10", json.RootElement.GetProperty("si").GetString());
            Assert.Equal(4u, json.RootElement.GetProperty("1").GetUInt32());
            Assert.Equal(9, json.RootElement.GetProperty("3").GetInt32());
            Assert.Equal("00:00:02:03:04:05", json.RootElement.GetProperty("em").GetString());
        }
    }

    [Fact]
    public void FlowList_OutputGzip_WritesFlowDumpFile()
    {
        string table = LoadTable();
        string path = Path.Combine(Path.GetTempPath(), $"dashflow-dump-{Guid.NewGuid():N}.jsonl.gz");
        try
        {
            var result = AgentFixture.Run("flow", "list", "--server", agent.Server, "--table", table, "--dst-port", "443", "--limit", "0", "--output", path);

            Assert.Equal(0, result.Exit);
            using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
            var lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(80, lines.Length);
            Assert.All(lines, l => Assert.Contains("\"dp\":443", l, StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("--version", "about:5")]
    [InlineData("--src-ip", "10.0.0.0/33")]
    [InlineData("--eni-mac", "nope")]
    public void FlowList_MalformedFilter_UsageError(string option, string value)
    {
        var result = AgentFixture.Run("flow", "list", "--server", agent.Server, option, value);

        Assert.Equal(1, result.Exit);
        Assert.StartsWith($"dashflow: {option}:", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void FlowList_SixFilters_RefusedBeforeCallingTheAgent()
    {
        var result = AgentFixture.Run("flow", "list", "--server", "127.0.0.1:1", "--src-ip", "10.0.0.0/8", "--dst-ip", "10.0.0.0/8", "--proto", "6", "--dst-port", "443");

        Assert.Equal(1, result.Exit);
        Assert.Contains("at most 5", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void FlowCreateGetRemove_ThroughCli()
    {
        string table = LoadTable();
        string[] key = ["--server", agent.Server, "--table", table, "--eni-mac", "00:00:02:03:04:05", "--vnet", "100", "--proto", "17", "--src-ip", "10.9.9.1", "--dst-ip", "10.9.9.2", "--src-port", "53", "--dst-port", "5353"];

        var created = AgentFixture.Run(["flow", "create", .. key, "--version", "7", "--actions", "encap_u0,set_dmac", "--dst-mac", "00:bb:bb:bb:bb:bb", "--u0-vni", "100", "--u0-dip", "172.16.1.20"]);
        var got = AgentFixture.Run(["flow", "get", .. key]);
        var reverse = AgentFixture.Run(["flow", "get", "--server", agent.Server, "--table", table, "--eni-mac", "00:00:02:03:04:05", "--vnet", "100", "--proto", "17", "--src-ip", "10.9.9.2", "--dst-ip", "10.9.9.1", "--src-port", "5353", "--dst-port", "53"]);
        var set = AgentFixture.Run(["flow", "set", .. key, "--version", "9", "--sync-state", "synced"]);
        var afterSet = AgentFixture.Run(["flow", "get", .. key]);
        var badSet = AgentFixture.Run(["flow", "set", .. key, "--sync-state", "sleepy"]);
        var removed = AgentFixture.Run(["flow", "remove", .. key]);
        var gone = AgentFixture.Run(["flow", "get", .. key]);

        Assert.Equal(0, created.Exit);
        Assert.Contains("\"1\":7", got.Out, StringComparison.Ordinal);
        Assert.Contains("\"15\":\"172.16.1.20\"", got.Out, StringComparison.Ordinal);
        Assert.Contains("\"2\":2", reverse.Out, StringComparison.Ordinal); // the implicit reverse is INBOUND (D5)
        Assert.Equal(0, set.Exit);
        Assert.Contains("\"1\":9", afterSet.Out, StringComparison.Ordinal);
        Assert.Contains("\"31\":2", afterSet.Out, StringComparison.Ordinal);
        Assert.Equal(1, badSet.Exit);
        Assert.Equal(0, removed.Exit);
        Assert.Equal(4, gone.Exit);
        Assert.Contains("SAI_STATUS_ITEM_NOT_FOUND", gone.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void FlowList_OutputMatchingNothing_ValidEmptyGzip()
    {
        string table = LoadTable();
        string path = Path.Combine(Path.GetTempPath(), $"dashflow-empty-{Guid.NewGuid():N}.jsonl.gz");
        try
        {
            var result = AgentFixture.Run("flow", "list", "--server", agent.Server, "--table", table, "--dst-port", "9", "--limit", "0", "--output", path);

            Assert.Equal(0, result.Exit);
            Assert.StartsWith("0 flows written to", result.Out, StringComparison.Ordinal);
            using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
            Assert.Equal(string.Empty, reader.ReadToEnd());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
