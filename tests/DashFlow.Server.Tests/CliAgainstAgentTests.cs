namespace DashFlow.Server.Tests;

/// <summary>The real CLI against a real agent: output, exit codes and refusals.</summary>
public sealed class CliAgainstAgentTests(AgentFixture agent) : IClassFixture<AgentFixture>
{
    [Fact]
    public void TableLifecycle_CreateGetSetListRemove()
    {
        var created = AgentFixture.Run("table", "create", "--server", agent.Server, "--max-flows", "1000", "--enabled-key", "eni_mac,src_ip,dst_ip", "--ttl-ms", "5000");
        Assert.Equal(0, created.Exit);
        string id = created.Out.Trim();
        Assert.StartsWith("0x", id, StringComparison.Ordinal);

        var got = AgentFixture.Run("table", "get", "--server", agent.Server, "--id", id);
        Assert.Equal(0, got.Exit);
        Assert.Contains("enabled_key      eni_mac,src_ip,dst_ip", got.Out, StringComparison.Ordinal);
        Assert.Contains("ttl_ms           5000", got.Out, StringComparison.Ordinal);

        Assert.Equal(0, AgentFixture.Run("table", "set", "--server", agent.Server, "--id", id, "--ttl-ms", "7000").Exit);
        var listed = AgentFixture.Run("table", "list", "--server", agent.Server, "--json");
        Assert.Contains($"\"table\":\"{id}\",\"max_flow_count\":1000,\"enabled_key\":\"eni_mac,src_ip,dst_ip\",\"ttl_ms\":7000", listed.Out, StringComparison.Ordinal);

        Assert.Equal(0, AgentFixture.Run("table", "remove", "--server", agent.Server, "--id", id).Exit);
        var again = AgentFixture.Run("table", "remove", "--server", agent.Server, "--id", id);
        Assert.Equal(4, again.Exit);
        Assert.Equal($"dashflow: remove_flow_table: SAI_STATUS_ITEM_NOT_FOUND (-7){Environment.NewLine}", again.Error);
    }

    [Fact]
    public void Caps_Json_NineCapabilitiesAndTheSupportedFlowActions()
    {
        var result = AgentFixture.Run("caps", "--server", agent.Server, "--json");

        Assert.Equal(0, result.Exit);
        Assert.Contains("\"SAI_SWITCH_ATTR_DASH_CAPS_SUPPORTED_ENABLED_KEY\":\"all\"", result.Out, StringComparison.Ordinal);
        Assert.Equal(10, result.Out.Split("SAI_SWITCH_ATTR_DASH_CAPS_").Length - 1);
        Assert.Contains("SUPPORTED_FLOW_ACTION", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("nat46", result.Out, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("snat_port", result.Out, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Refusals_UsageSaiAndUnreachable_EachItsExitCode()
    {
        var badKey = AgentFixture.Run("table", "create", "--server", agent.Server, "--max-flows", "10", "--enabled-key", "ports");
        var zero = AgentFixture.Run("table", "create", "--server", agent.Server, "--max-flows", "0");
        var missing = AgentFixture.Run("table", "create", "--server", agent.Server);
        var down = AgentFixture.Run("caps", "--server", "127.0.0.1:1", "--timeout", "5");

        Assert.Equal(1, badKey.Exit);
        Assert.Contains("'ports' is not a key field", badKey.Error, StringComparison.Ordinal);
        Assert.Equal(4, zero.Exit);
        Assert.Contains("SAI_STATUS_INVALID_ATTR_VALUE_0+0", zero.Error, StringComparison.Ordinal);
        Assert.Equal(1, missing.Exit);
        Assert.Equal(3, down.Exit);
        Assert.StartsWith("dashflow: agent unreachable at 127.0.0.1:1", down.Error, StringComparison.Ordinal);
    }
}
