using DashFlow.Api;
using DashFlow.Model;

namespace DashFlow.Core.Tests.Api;

/// <summary>Every refusal of the table and entry functions answers with its SAI status and the attribute's index.</summary>
public sealed class FlowApiRefusalTests
{
    private static SaiAttribute[] WithExtra(SaiAttribute extra) => [.. DashFlowTestEntry.EntryAttributes(), extra];

    private static int ExtraIndex => DashFlowTestEntry.EntryAttributes().Length;

    public static TheoryData<SaiAttribute, SaiStatus> BadEntryAttributes => new()
    {
        { SaiAttribute.U32(99, 1), SaiStatuses.UnknownAttribute(ExtraIndex) },
        { SaiAttribute.U32(0x1000_0000, 1), SaiStatuses.UnknownAttribute(ExtraIndex) },
        { SaiAttribute.S32(FlowEntryAttr.IpAddrFamily, 0), SaiStatuses.InvalidAttribute(ExtraIndex) },
        { SaiAttribute.S32(FlowEntryAttr.Action, 1), SaiStatuses.InvalidAttrValue(ExtraIndex) },
        { SaiAttribute.U32(FlowEntryAttr.ReverseFlowSrcPort, 70_000), SaiStatuses.InvalidAttribute(ExtraIndex) },
        { SaiAttribute.U32(FlowEntryAttr.Version, 5), SaiStatuses.InvalidAttribute(ExtraIndex) },
    };

    [Theory]
    [MemberData(nameof(BadEntryAttributes))]
    public void CreateFlowEntry_BadExtraAttribute_NamesItsIndex(SaiAttribute extra, SaiStatus expected)
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);

        var status = api.CreateFlowEntry(new FlowEntryAddress(table, DashFlowTestEntry.Key), WithExtra(extra));

        Assert.Equal(expected, status);
        Assert.Equal(SaiStatus.ItemNotFound, api.GetFlowEntry(new FlowEntryAddress(table, DashFlowTestEntry.Key), out _, out _));
    }

    public static TheoryData<SaiAttribute> WrongValues => new()
    {
        SaiAttribute.S32(FlowEntryAttr.DashDirection, 3),
        SaiAttribute.S32(FlowEntryAttr.DashDirection, -1),
        SaiAttribute.S32(FlowEntryAttr.DashFlowAction, 0x400),
        SaiAttribute.S32(FlowEntryAttr.Underlay0DashEncapsulation, 3),
        SaiAttribute.S32(FlowEntryAttr.DashFlowSyncState, 5),
        SaiAttribute.U32(FlowEntryAttr.ReverseFlowDstPort, 65_536),
        SaiAttribute.U32(FlowEntryAttr.ReverseFlowIpProto, 256),
        SaiAttribute.U32(FlowEntryAttr.ReverseFlowVnetId, 65_536),
        SaiAttribute.U32(FlowEntryAttr.Underlay0VnetId, 0x100_0000),
        SaiAttribute.Mac(FlowEntryAttr.Version, MacAddress.Zero),
        SaiAttribute.U64(FlowEntryAttr.MeterClass, 1),
        SaiAttribute.U32(FlowEntryAttr.IsUnidirectionalFlow, 1),
        SaiAttribute.U32(FlowEntryAttr.Underlay0Sip, 1),
        SaiAttribute.Bytes(FlowEntryAttr.VendorMetadata, new byte[FlowEntryDraft.MaxVendorMetadata + 1]),
    };

    [Theory]
    [MemberData(nameof(WrongValues))]
    public void CreateFlowEntry_WrongValueOrType_InvalidAttrValueAtIndex(SaiAttribute wrong)
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        SaiAttribute[] attributes = [SaiAttribute.U32(FlowEntryAttr.MeterClass, 1), wrong];
        if (wrong.Id == FlowEntryAttr.MeterClass)
        {
            attributes = [SaiAttribute.U32(FlowEntryAttr.Version, 1), wrong];
        }

        var status = api.CreateFlowEntry(new FlowEntryAddress(table, DashFlowTestEntry.Key), attributes);

        Assert.Equal(SaiStatuses.InvalidAttrValue(1), status);
    }

    [Theory]
    [MemberData(nameof(WrongValues))]
    public void SetFlowEntryAttribute_WrongValueOrType_InvalidAttrValueAndEntryUnchanged(SaiAttribute wrong)
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var address = new FlowEntryAddress(table, DashFlowTestEntry.Key);
        Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(address, DashFlowTestEntry.EntryAttributes()));
        Assert.Equal(SaiStatus.Success, api.GetFlowEntry(address, out var before, out var vendorBefore));

        var status = api.SetFlowEntryAttribute(address, wrong);

        Assert.Equal(SaiStatuses.InvalidAttrValue(0), status);
        Assert.Equal(SaiStatus.Success, api.GetFlowEntry(address, out var after, out var vendorAfter));
        Assert.Equal(before, after);
        Assert.Equal(vendorBefore, vendorAfter);
    }

    [Fact]
    public void SetFlowEntryAttribute_ReadOnlyFamily_InvalidAttribute()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var address = new FlowEntryAddress(table, DashFlowTestEntry.Key);
        Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(address, DashFlowTestEntry.EntryAttributes()));

        Assert.Equal(SaiStatuses.InvalidAttribute(0), api.SetFlowEntryAttribute(address, SaiAttribute.S32(FlowEntryAttr.IpAddrFamily, 1)));
        Assert.Equal(SaiStatuses.UnknownAttribute(0), api.SetFlowEntryAttribute(address, SaiAttribute.U32(34, 1)));
    }

    [Fact]
    public void CreateFlowEntry_KeyOfTwoFamilies_InvalidParameter()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var mixed = new FlowKey(DashFlowTestEntry.EniMac, 100, 6, IpAddress.Parse("10.0.0.1"), IpAddress.Parse("2001:db8::1"), 1, 2);

        Assert.Equal(SaiStatus.InvalidParameter, api.CreateFlowEntry(new FlowEntryAddress(table, mixed), []));
        Assert.Equal(SaiStatus.InvalidParameter, api.CreateFlowEntry(new FlowEntryAddress(table, mixed), new FlowState()));
    }

    [Theory]
    [InlineData(FlowEntryAttr.ReverseFlowSrcIp, FlowEntryAttr.ReverseFlowDstIp)]
    [InlineData(FlowEntryAttr.Underlay0Sip, FlowEntryAttr.Underlay0Dip)]
    [InlineData(FlowEntryAttr.Underlay1Sip, FlowEntryAttr.Underlay1Dip)]
    [InlineData(FlowEntryAttr.Sip, FlowEntryAttr.Dip)]
    [InlineData(FlowEntryAttr.Sip, FlowEntryAttr.SipMask)]
    [InlineData(FlowEntryAttr.Dip, FlowEntryAttr.DipMask)]
    public void CreateFlowEntry_AddressPairOfTwoFamilies_InvalidAttrValueAtTheLaterOne(uint first, uint second)
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        SaiAttribute[] attributes =
        [
            SaiAttribute.Ip(first, IpAddress.Parse("10.0.0.1")),
            SaiAttribute.U32(FlowEntryAttr.Version, 1),
            SaiAttribute.Ip(second, IpAddress.Parse("2001:db8::1")),
        ];

        Assert.Equal(SaiStatuses.InvalidAttrValue(2), api.CreateFlowEntry(new FlowEntryAddress(table, DashFlowTestEntry.Key), attributes));
    }

    [Fact]
    public void CreateFlowEntry_DuplicateAttribute_InvalidAttributeAtSecond()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        SaiAttribute[] attributes = [SaiAttribute.U32(FlowEntryAttr.Version, 1), SaiAttribute.U32(FlowEntryAttr.MeterClass, 1), SaiAttribute.U32(FlowEntryAttr.Version, 2)];

        Assert.Equal(SaiStatuses.InvalidAttribute(2), api.CreateFlowEntry(new FlowEntryAddress(table, DashFlowTestEntry.Key), attributes));
    }

    [Fact]
    public void EntryOperations_MissingKeyOrTable_ItemNotFoundOrWrongType()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var missing = new FlowEntryAddress(table, DashFlowTestEntry.Key);
        var unknownTable = new FlowEntryAddress(new FlowTableId(ObjectIds.Make(FlowObjectType.FlowTable, 999)), DashFlowTestEntry.Key);
        var wrongType = new FlowEntryAddress(new FlowTableId(ObjectIds.Make(FlowObjectType.BulkGetSession, 1)), DashFlowTestEntry.Key);

        Assert.Equal(SaiStatus.ItemNotFound, api.RemoveFlowEntry(missing));
        Assert.Equal(SaiStatus.ItemNotFound, api.SetFlowEntryAttribute(missing, SaiAttribute.U32(FlowEntryAttr.Version, 1)));
        Assert.Equal(SaiStatus.ItemNotFound, api.GetFlowEntryAttribute(missing, [SaiAttribute.Query(FlowEntryAttr.Version)]));
        Assert.Equal(SaiStatus.ItemNotFound, api.CreateFlowEntry(unknownTable, []));
        Assert.Equal(SaiStatus.InvalidObjectType, api.CreateFlowEntry(wrongType, []));
        Assert.Equal(SaiStatus.InvalidParameter, api.CreateFlowEntry(new FlowEntryAddress(FlowTableId.Null, DashFlowTestEntry.Key), []));
    }

    [Fact]
    public void CreateFlowEntry_ExistingKey_ItemAlreadyExistsAndCounted()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var address = new FlowEntryAddress(table, DashFlowTestEntry.Key);
        Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(address, DashFlowTestEntry.EntryAttributes()));

        Assert.Equal(SaiStatus.ItemAlreadyExists, api.CreateFlowEntry(address, DashFlowTestEntry.EntryAttributes()));

        Assert.True(api.TryGetTable(table, out var engine));
        Assert.Equal(1, engine.Counters.CreateFailed);
        Assert.Equal(1, engine.Count);
    }

    [Fact]
    public void CreateFlowEntry_TableFull_TableFullAndCounted()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api, maxFlows: 2, ttlMs: 0);
        for (ushort port = 1; port <= 2; port++)
        {
            var key = DashFlowTestEntry.Key with { };
            key.SrcPort = port;
            Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(new FlowEntryAddress(table, key), DashFlowTestEntry.EntryAttributes()));
        }

        var third = DashFlowTestEntry.Key;
        third.SrcPort = 3;
        Assert.Equal(SaiStatus.TableFull, api.CreateFlowEntry(new FlowEntryAddress(table, third), DashFlowTestEntry.EntryAttributes()));
        Assert.True(api.TryGetTable(table, out var engine));
        Assert.Equal(1, engine.Counters.TableFull);
    }

    [Fact]
    public void GetFlowEntryAttribute_UnknownId_UnknownAttributeAtIndex()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api);
        var address = new FlowEntryAddress(table, DashFlowTestEntry.Key);
        Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(address, DashFlowTestEntry.EntryAttributes()));

        Assert.Equal(SaiStatuses.UnknownAttribute(1), api.GetFlowEntryAttribute(address, [SaiAttribute.Query(FlowEntryAttr.Version), SaiAttribute.Query(77)]));
    }

    [Fact]
    public void CreateFlowTable_Refusals_EachItsStatus()
    {
        using var api = new FlowApi(new FlowApiOptions { Capabilities = new FlowCapabilities { MaxFlowTableCount = 2, MaxFlowEntryCount = 1500 } });

        Assert.Equal(SaiStatus.MandatoryAttributeMissing, api.CreateFlowTable(out _, [SaiAttribute.U32(FlowTableAttr.FlowTtlInMilliseconds, 5)]));
        Assert.Equal(SaiStatuses.InvalidAttrValue(0), api.CreateFlowTable(out _, [SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 0)]));
        Assert.Equal(SaiStatuses.InvalidAttrValue(1), api.CreateFlowTable(out _, [SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 10), SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, 0x80)]));
        Assert.Equal(SaiStatuses.InvalidAttrValue(1), api.CreateFlowTable(out _, [SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 10), SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, 0)]));
        Assert.Equal(SaiStatuses.InvalidAttrValue(0), api.CreateFlowTable(out _, [SaiAttribute.S32(FlowTableAttr.MaxFlowCount, 10)]));
        Assert.Equal(SaiStatuses.UnknownAttribute(1), api.CreateFlowTable(out _, [SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 10), SaiAttribute.U32(3, 1)]));
        Assert.Equal(SaiStatuses.InvalidAttribute(1), api.CreateFlowTable(out _, [SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 10), SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 11)]));

        Assert.Equal(SaiStatus.Success, api.CreateFlowTable(out _, [SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 1000)]));
        Assert.Equal(SaiStatus.InsufficientResources, api.CreateFlowTable(out _, [SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 501)]));
        Assert.Equal(SaiStatus.Success, api.CreateFlowTable(out _, [SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 500)]));
        Assert.Equal(SaiStatus.InsufficientResources, api.CreateFlowTable(out _, [SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 1)]));
        Assert.Equal(2, api.FlowTableIds.Count);
    }

    [Fact]
    public void FlowTable_InUseOrResized_Refused()
    {
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api, maxFlows: 10);
        Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(new FlowEntryAddress(table, DashFlowTestEntry.Key), DashFlowTestEntry.EntryAttributes()));

        Assert.Equal(SaiStatus.ObjectInUse, api.RemoveFlowTable(table));
        Assert.Equal(SaiStatus.ObjectInUse, api.SetFlowTableAttribute(table, SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, 1)));
        Assert.Equal(SaiStatus.InsufficientResources, api.SetFlowTableAttribute(table, SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 11)));
        Assert.Equal(SaiStatus.Success, api.SetFlowTableAttribute(table, SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 5)));
        Assert.Equal(SaiStatus.Success, api.SetFlowTableAttribute(table, SaiAttribute.U32(FlowTableAttr.FlowTtlInMilliseconds, 30_000)));
        Assert.Equal(SaiStatuses.UnknownAttribute(0), api.SetFlowTableAttribute(table, SaiAttribute.U32(7, 1)));
        Assert.Equal(SaiStatus.ItemNotFound, api.RemoveFlowTable(new FlowTableId(ObjectIds.Make(FlowObjectType.FlowTable, 4242))));

        SaiAttribute[] query = [SaiAttribute.Query(FlowTableAttr.MaxFlowCount), SaiAttribute.Query(FlowTableAttr.FlowTtlInMilliseconds)];
        Assert.Equal(SaiStatus.Success, api.GetFlowTableAttribute(table, query));
        Assert.Equal(5u, query[0].Value.AsU32);
        Assert.Equal(30_000u, query[1].Value.AsU32);
    }

    [Fact]
    public void SaiStatuses_Ranges_HaveSaiValuesAndNames()
    {
        Assert.Equal(-0x20003, (int)SaiStatuses.InvalidAttrValue(3));
        Assert.Equal(-0x10000, (int)SaiStatuses.InvalidAttribute(0));
        Assert.Equal(-0x40002, (int)SaiStatuses.UnknownAttribute(2));
        Assert.Equal(-0x50001, (int)SaiStatuses.AttrNotSupported(1));
        Assert.Equal((SaiStatus.InvalidAttrValue0, 3), SaiStatuses.InvalidAttrValue(3).Split());
        Assert.Equal("SAI_STATUS_INVALID_ATTR_VALUE_0+3", SaiStatuses.InvalidAttrValue(3).Describe());
        Assert.Equal("SAI_STATUS_TABLE_FULL", SaiStatus.TableFull.Describe());
        Assert.Equal(-13, (int)SaiStatus.TableFull);
        Assert.Equal(-23, (int)SaiStatus.NotExecuted);
    }
}
