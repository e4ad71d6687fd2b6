using DashFlow.Api;
using DashFlow.Ha.Roles;
using DashFlow.Model;
using Grpc.Core;
using Grpc.Net.Client;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Tests.Ha;

/// <summary>Only the decider of a pair changes flows over the Flow API: a client writing to the standby is refused.</summary>
public sealed class HaDecisionGateTests
{
    [Fact]
    public async Task FlowApiWrites_OnTheStandby_FailedPrecondition_OnTheActive_Applied_ReadsAnswerOnBoth()
    {
        // Arrange
        await using var pair = new HaPair();
        var a = await pair.StartAAsync(HaDesiredState.Active);
        var b = await pair.StartBAsync();
        await HaPair.WaitForPairAsync(a, b);
        using var toActive = GrpcChannel.ForAddress(a.GrpcAddress);
        using var toStandby = GrpcChannel.ForAddress(b.GrpcAddress);
        var active = new Proto.FlowApi.FlowApiClient(toActive);
        var standby = new Proto.FlowApi.FlowApiClient(toStandby);
        var create = new Proto.ObjectCreateRequest();
        create.Attributes.Add(new Proto.SaiAttribute { Id = FlowTableAttr.MaxFlowCount, U32 = 1000 });
        create.Attributes.Add(new Proto.SaiAttribute { Id = FlowTableAttr.DashFlowEnabledKey, S32 = (int)FlowEnabledKey.All });

        // Act
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await standby.CreateFlowTableAsync(create));
        var table = await active.CreateFlowTableAsync(create);
        var records = new Proto.FlowRecordsCreateRequest { FlowTableId = table.Oid, ErrorMode = 0 };
        var refusedRecords = await Assert.ThrowsAsync<RpcException>(async () => await standby.CreateFlowRecordsAsync(records));

        // Assert
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("create_flow_table", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("Standby", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.FailedPrecondition, refusedRecords.StatusCode);
        Assert.True(a.Api.TryGetTable(new FlowTableId(table.Oid), out _));
        Assert.Single((await active.ListFlowTablesAsync(new Proto.Empty())).Tables);
        Assert.NotNull(await standby.ListFlowTablesAsync(new Proto.Empty())); // reads are never gated
    }
}
