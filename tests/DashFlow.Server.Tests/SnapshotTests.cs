using DashFlow.Api;
using DashFlow.Model;
using DashFlow.Server.Hosting;

namespace DashFlow.Server.Tests;

/// <summary>The human output and the help text, pinned: a change to either shows up as a snapshot diff.</summary>
public sealed class SnapshotTests
{
    [Theory]
    [InlineData("help-root", new[] { "--help" })]
    [InlineData("help-flow-list", new[] { "flow", "list", "--help" })]
    [InlineData("help-table-create", new[] { "table", "create", "--help" })]
    [InlineData("help-session-create", new[] { "session", "create", "--help" })]
    [InlineData("help-replay", new[] { "replay", "--help" })]
    public void HelpText_MatchesSnapshot(string name, string[] args)
    {
        var result = AgentFixture.Run(args);

        Assert.Equal(0, result.Exit);
        Snapshot.Verify(name, result.Out);
    }

    [Fact]
    public async Task HumanOutput_CapsTablesAndFlows_MatchSnapshots()
    {
        await using var agent = await Agent.StartAsync(new AgentOptions { Listen = "127.0.0.1:0", LogLevel = "Warning" });
        string server = agent.GrpcEndpoint.ToString();
        Assert.Equal(SaiStatus.Success, agent.Api.CreateFlowTable(out var table, [SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 1000), SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, 0x7F), SaiAttribute.U32(FlowTableAttr.FlowTtlInMilliseconds, 30000)]));
        for (ushort i = 0; i < 3; i++)
        {
            var key = new FlowKey(MacAddress.Parse("00:00:02:03:04:05"), 100, 6, IpAddress.Parse("10.1.1.10"), IpAddress.Parse("10.2.2.20"), (ushort)(40000 + i), 443);
            var state = new FlowState { Version = 4, IsUnidirectional = true, Direction = FlowDirection.Outbound, Actions = FlowAction.EncapU0 | FlowAction.SetDmac, SyncState = FlowSyncState.FlowCreated };
            Assert.Equal(SaiStatus.Success, agent.Api.CreateFlowEntry(new FlowEntryAddress(table, key), in state));
        }

        Snapshot.Verify("caps", AgentFixture.Run("caps", "--server", server).Out);
        Snapshot.Verify("table-list", AgentFixture.Run("table", "list", "--server", server).Out);
        Snapshot.Verify("table-get", AgentFixture.Run("table", "get", "--server", server, "--id", table.ToString()).Out);
        Snapshot.Verify("flow-list", AgentFixture.Run("flow", "list", "--server", server, "--dst-port", "443").Out);
    }
}
