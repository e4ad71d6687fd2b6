using DashFlow.Api;
using DashFlow.Model;

namespace DashFlow.Core.Tests.Api;

/// <summary>The table behaviours of DASH's saidashflow.py, through the SAI-shaped API (spec §5.2).</summary>
public sealed class FlowApiDashScenarioTests
{
    [Fact]
    public void CreateFlowTable_DashTestTable_ReadsBackItsAttributes()
    {
        // Arrange
        using var api = new FlowApi();

        // Act
        var table = DashFlowTestEntry.CreateTable(api);
        SaiAttribute[] query =
        [
            SaiAttribute.Query(FlowTableAttr.MaxFlowCount),
            SaiAttribute.Query(FlowTableAttr.DashFlowEnabledKey),
            SaiAttribute.Query(FlowTableAttr.FlowTtlInMilliseconds),
        ];
        var status = api.GetFlowTableAttribute(table, query);

        // Assert
        Assert.Equal(SaiStatus.Success, status);
        Assert.Equal(1000u, query[0].Value.AsU32);
        Assert.Equal(0x7F, query[1].Value.AsS32);
        Assert.Equal(5000u, query[2].Value.AsU32);
    }

    [Fact]
    public void CreateFlowEntry_DashTestAttributes_ReadBackIdentical()
    {
        // Arrange
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var address = new FlowEntryAddress(table, DashFlowTestEntry.Key);
        var written = DashFlowTestEntry.EntryAttributes();

        // Act
        Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(address, written));
        var read = written.Select(a => SaiAttribute.Query(a.Id)).ToArray();
        var status = api.GetFlowEntryAttribute(address, read);

        // Assert
        Assert.Equal(SaiStatus.Success, status);
        for (int i = 0; i < written.Length; i++)
        {
            Assert.True(written[i].Value == read[i].Value, $"attribute {written[i].Id}: wrote {written[i].Value}, read {read[i].Value}");
        }
    }

    [Fact]
    public void GetFlowEntryAttribute_ReadOnlyFamilyAndAction_DerivedFromKey()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var address = new FlowEntryAddress(table, DashFlowTestEntry.Key);
        Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(address, DashFlowTestEntry.EntryAttributes()));
        SaiAttribute[] query = [SaiAttribute.Query(FlowEntryAttr.IpAddrFamily), SaiAttribute.Query(FlowEntryAttr.Action)];

        Assert.Equal(SaiStatus.Success, api.GetFlowEntryAttribute(address, query));

        Assert.Equal((int)IpAddressFamily.Ipv4, query[0].Value.AsS32);
        Assert.Equal(0, query[1].Value.AsS32);
    }

    [Fact]
    public void RemoveFlowEntryThenTable_DashTestTeardown_EverySucceeds()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var address = new FlowEntryAddress(table, DashFlowTestEntry.Key);
        Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(address, DashFlowTestEntry.EntryAttributes()));

        Assert.Equal(SaiStatus.Success, api.RemoveFlowEntry(address));
        Assert.Equal(SaiStatus.Success, api.RemoveFlowTable(table));

        Assert.Equal(SaiStatus.ItemNotFound, api.GetFlowTableAttribute(table, [SaiAttribute.Query(FlowTableAttr.MaxFlowCount)]));
        Assert.Empty(api.FlowTableIds);
    }

    [Fact]
    public void SetFlowEntryAttribute_ThenGet_ReturnsNewValueAndKeepsTheRest()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var address = new FlowEntryAddress(table, DashFlowTestEntry.Key);
        Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(address, DashFlowTestEntry.EntryAttributes()));

        Assert.Equal(SaiStatus.Success, api.SetFlowEntryAttribute(address, SaiAttribute.U32(FlowEntryAttr.Version, 9)));
        Assert.Equal(SaiStatus.Success, api.SetFlowEntryAttribute(address, SaiAttribute.Ip(FlowEntryAttr.Underlay0Dip, IpAddress.Parse("172.16.9.9"))));

        Assert.Equal(SaiStatus.Success, api.GetFlowEntry(address, out var state, out var vendor));
        Assert.Equal(9u, state.Version);
        Assert.Equal(IpAddress.Parse("172.16.9.9"), state.Rewrite.Underlay0.Dip);
        Assert.Equal(IpAddress.Parse("172.16.1.1"), state.Rewrite.Underlay0.Sip);
        Assert.Equal(FlowAction.EncapU0 | FlowAction.SetDmac, state.Actions);
        Assert.Equal([0xde, 0xad, 0xbe, 0xef], vendor);
    }

    [Fact]
    public void CreateFlowEntry_BidirectionalWithReverseKey_CreatesReverseAndRemovesPairTogether()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var forward = new FlowEntryAddress(table, DashFlowTestEntry.Key);
        var attributes = DashFlowTestEntry.EntryAttributes()
            .Select(a => a.Id == FlowEntryAttr.IsUnidirectionalFlow ? SaiAttribute.Bool(a.Id, false) : a).ToArray();

        Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(forward, attributes));
        var reverse = new FlowEntryAddress(table, DashFlowTestEntry.Key.Reversed());
        Assert.Equal(SaiStatus.Success, api.GetFlowEntry(reverse, out var reverseState, out _));
        Assert.Equal(FlowDirection.Inbound, reverseState.Direction);
        Assert.Equal(FlowAction.None, reverseState.Actions);
        Assert.Equal(DashFlowTestEntry.Key, reverseState.ReverseKey);

        Assert.Equal(SaiStatus.Success, api.RemoveFlowEntry(reverse));
        Assert.Equal(SaiStatus.ItemNotFound, api.GetFlowEntry(forward, out _, out _));
    }
}
