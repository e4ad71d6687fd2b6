using DashFlow.Api;
using DashFlow.Model;

namespace DashFlow.Core.Tests.Api;

/// <summary>The nine capability attributes plus the supported flow actions, and a partial implementation refusing what it denies.</summary>
public sealed class FlowApiCapabilityTests
{
    [Fact]
    public void GetSwitchAttribute_NineCapabilities_ReportConfiguration()
    {
        var caps = new FlowCapabilities
        {
            MaxFlowTableCount = 3,
            MaxFlowEntryCount = 4096,
            SupportedEnabledKey = FlowEnabledKey.EniMac | FlowEnabledKey.SrcIp | FlowEnabledKey.DstIp,
            BulkGetSession = false,
            UnidirectionalFlowEntry = false,
            FlowCreate = true,
            FlowRemove = false,
            FlowSet = false,
            FlowGet = true,
        };
        using var api = new FlowApi(new FlowApiOptions { Capabilities = caps });
        var query = SwitchCapabilityAttr.All.Select(c => SaiAttribute.Query(c.Id)).ToArray();

        Assert.Equal(SaiStatus.Success, api.GetSwitchAttribute(query));

        Assert.Equal(10, query.Length);
        Assert.Equal(3u, query[0].Value.AsU32);
        Assert.Equal(4096u, query[1].Value.AsU32);
        Assert.Equal(0x19, query[2].Value.AsS32);
        Assert.Equal([false, false, true, false, false, true], query[3..9].Select(a => a.Value.AsBool).ToArray());
        Assert.Equal(SaiStatuses.UnknownAttribute(0), api.GetSwitchAttribute([SaiAttribute.Query(SwitchCapabilityAttr.End)]));
    }

    [Fact]
    public void SupportedFlowAction_Default_ExcludesNat46AndNat64_WhichCreationRefuses()
    {
        using var api = new FlowApi();
        SaiAttribute[] query = [SaiAttribute.Query(SwitchCapabilityAttr.SupportedFlowAction)];
        Assert.Equal(SaiStatus.Success, api.GetSwitchAttribute(query));
        var supported = (FlowAction)query[0].Value.AsS32;
        Assert.Equal(SaiStatus.Success, api.CreateFlowTable(out var table, DashFlowTestEntry.TableAttributes()));

        Assert.Equal(FlowAction.All & ~(FlowAction.Nat46 | FlowAction.Nat64), supported);
        foreach (var action in Enum.GetValues<FlowAction>().Where(a => a is not FlowAction.None and not FlowAction.All))
        {
            var key = DashFlowTestEntry.Key with { SrcPort = (ushort)action };
            var status = api.CreateFlowEntry(new FlowEntryAddress(table, key), [SaiAttribute.S32(FlowEntryAttr.DashFlowAction, (int)action), SaiAttribute.Bool(FlowEntryAttr.IsUnidirectionalFlow, true)]);
            Assert.Equal((supported & action) != 0 ? SaiStatus.Success : SaiStatus.NotSupported, status);
        }
    }

    [Fact]
    public void PartialImplementation_DeniedOperations_NotSupported()
    {
        var caps = new FlowCapabilities { FlowRemove = false, FlowSet = false, UnidirectionalFlowEntry = false, SupportedEnabledKey = FlowEnabledKey.EniMac | FlowEnabledKey.Vni };
        using var api = new FlowApi(new FlowApiOptions { Capabilities = caps });

        Assert.Equal(SaiStatus.NotSupported, api.CreateFlowTable(out _, DashFlowTestEntry.TableAttributes()));
        Assert.Equal(SaiStatus.Success, api.CreateFlowTable(out var table, [SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 10), SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, 3)]));
        var address = new FlowEntryAddress(table, DashFlowTestEntry.Key);

        Assert.Equal(SaiStatus.NotSupported, api.CreateFlowEntry(address, [SaiAttribute.Bool(FlowEntryAttr.IsUnidirectionalFlow, true)]));
        Assert.Equal(SaiStatus.NotSupported, api.CreateFlowEntry(address, new FlowState { IsUnidirectional = true }));
        Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(address, [SaiAttribute.U32(FlowEntryAttr.Version, 2)]));
        Assert.Equal(SaiStatus.NotSupported, api.SetFlowEntryAttribute(address, SaiAttribute.U32(FlowEntryAttr.Version, 3)));
        Assert.Equal(SaiStatus.NotSupported, api.RemoveFlowEntry(address));
        var statuses = new SaiStatus[1];
        Assert.Equal(SaiStatus.Failure, api.RemoveFlowEntries([address], BulkErrorMode.IgnoreError, statuses));
        Assert.Equal(SaiStatus.NotSupported, statuses[0]);
        Assert.Equal(SaiStatus.Success, api.GetFlowEntry(address, out var state, out _));
        Assert.Equal(2u, state.Version);
    }

    [Fact]
    public void PartialImplementation_NoCreateNoGet_NotSupported()
    {
        using var api = new FlowApi(new FlowApiOptions { Capabilities = new FlowCapabilities { FlowCreate = false, FlowGet = false } });
        var table = DashFlowTestEntry.CreateTable(api);
        var address = new FlowEntryAddress(table, DashFlowTestEntry.Key);

        Assert.Equal(SaiStatus.NotSupported, api.CreateFlowEntry(address, DashFlowTestEntry.EntryAttributes()));
        Assert.Equal(SaiStatus.NotSupported, api.GetFlowEntryAttribute(address, [SaiAttribute.Query(FlowEntryAttr.Version)]));
    }

    [Theory]
    [InlineData(FlowAction.Nat46)]
    [InlineData(FlowAction.Nat64)]
    [InlineData(FlowAction.EncapU0 | FlowAction.Nat64)]
    public void CreateOrSet_Nat46Or64_NotSupportedByDefault(FlowAction actions)
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var address = new FlowEntryAddress(table, DashFlowTestEntry.Key);

        Assert.False(api.Capabilities.SupportsActions(actions));
        Assert.Equal(SaiStatus.NotSupported, api.CreateFlowEntry(address, [SaiAttribute.S32(FlowEntryAttr.DashFlowAction, (int)actions)]));
        Assert.Equal(SaiStatus.NotSupported, api.CreateFlowEntry(address, new FlowState { Actions = actions }));
        Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(address, [SaiAttribute.S32(FlowEntryAttr.DashFlowAction, (int)FlowAction.EncapU0)]));
        Assert.Equal(SaiStatus.NotSupported, api.SetFlowEntryAttribute(address, SaiAttribute.S32(FlowEntryAttr.DashFlowAction, (int)actions)));
        Assert.Equal(SaiStatus.Success, api.GetFlowEntry(address, out var state, out _));
        Assert.Equal(FlowAction.EncapU0, state.Actions);
    }

    [Fact]
    public void Create_Nat46_AcceptedWhenCapabilityAllowsIt()
    {
        using var api = new FlowApi(new FlowApiOptions { Capabilities = new FlowCapabilities { SupportedFlowActions = FlowAction.All } });
        var table = DashFlowTestEntry.CreateTable(api);

        Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(new FlowEntryAddress(table, DashFlowTestEntry.Key), new FlowState { Actions = FlowAction.Nat46 }));
    }
}
