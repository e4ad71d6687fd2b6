using System.Text.Json;
using DashFlow.Cli;
using DashFlow.Ha.Roles;
using DashFlow.Model;

namespace DashFlow.Server.Tests.Ha;

/// <summary>The HA commands of the real CLI against a real pair: status, diff, switchover.</summary>
public sealed class HaCliTests
{
    [Fact]
    public async Task StatusDiffAndSwitchover_AgainstAPair()
    {
        // Arrange
        await using var pair = new HaPair();
        var a = await pair.StartAAsync(HaDesiredState.Active);
        var b = await pair.StartBAsync();
        await HaPair.WaitForPairAsync(a, b);
        var table = HaPair.CreateTable(a.Api);
        HaPair.Load(a.Api, table, HaPair.NewEni(), 3_000);
        await HaPair.WaitDrainedAsync(a);

        // Act + Assert: status
        var (exit, output, _) = AgentFixture.Run("ha", "status", "--server", a.GrpcEndpoint.ToString(), "--json");
        Assert.Equal(ExitCodes.Ok, exit);
        using (var status = JsonDocument.Parse(output))
        {
            Assert.Equal("active", status.RootElement.GetProperty("role").GetString());
            Assert.Equal(1, status.RootElement.GetProperty("term").GetInt32());
            Assert.Equal(3_000, status.RootElement.GetProperty("counters").GetProperty("inline_requests_acked").GetInt32());
        }

        (exit, output, _) = AgentFixture.Run("ha", "status", "--server", b.GrpcEndpoint.ToString());
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("standby", output);

        // diff: the same flows
        (exit, output, _) = AgentFixture.Run("ha", "diff", "--server", a.GrpcEndpoint.ToString(), "--peer", b.GrpcEndpoint.ToString(), "--json");
        Assert.Equal(ExitCodes.Ok, exit);
        using (var diff = JsonDocument.Parse(output))
        {
            Assert.Equal(3_000, diff.RootElement.GetProperty("Flows").GetInt32());
            Assert.Equal(0, diff.RootElement.GetProperty("MissingOnPeer").GetInt32());
        }

        // diff finds a flow only one side holds (written behind HA's back, straight into the standby's engine)
        Assert.True(b.Api.TryGetTable(table, out var standbyTable));
        Assert.Equal(SaiStatus.Success, standbyTable.Create(HaPair.Key(HaPair.NewEni(), 1), HaPair.State(1)));
        (exit, output, _) = AgentFixture.Run("ha", "diff", "--server", a.GrpcEndpoint.ToString(), "--peer", b.GrpcEndpoint.ToString());
        Assert.Equal(ExitCodes.CheckFailed, exit);
        Assert.Contains("extra_on_peer 1", output);

        // metrics: state, term and the sync counters, read at scrape time
        using (var http = new HttpClient())
        {
            string metrics = await http.GetStringAsync(new Uri($"http://{a.MetricsEndpoint}/metrics"));
            Assert.Contains("dashflow_ha_state 5", metrics);
            Assert.Contains("dashflow_ha_term 1", metrics);
            Assert.Contains("dashflow_ha_sync_total{counter=\"inline_requests_acked\"} 3000", metrics);
        }

        // switchover, asked of the active (forwarded to its standby)
        (exit, output, _) = AgentFixture.Run("ha", "switchover", "--server", a.GrpcEndpoint.ToString());
        Assert.Equal(ExitCodes.Ok, exit);
        await HaPair.WaitForPairAsync(b, a);
    }

    [Fact]
    public async Task Status_AgainstALoneAgent_SaysItIsNotPaired()
    {
        var fixture = new AgentFixture();
        await fixture.InitializeAsync();

        var (exit, _, error) = AgentFixture.Run("ha", "status", "--server", fixture.Server);

        Assert.Equal(ExitCodes.CheckFailed, exit);
        Assert.Contains("not one of an HA pair", error);
        await fixture.DisposeAsync();
    }
}
