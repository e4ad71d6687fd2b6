using DashFlow.Api;
using DashFlow.Engine;
using DashFlow.Model;
using DashFlow.Records;
using Google.Protobuf;
using Proto = DashFlow.Protos;

namespace DashFlow.Core.Tests.Records;

/// <summary>D8 and D11: FLOW_DATA_PB on create, set and get, the codec's validation, and the fast writer's bytes.</summary>
public sealed class FlowDataPbTests
{
    private static readonly uint[] s_readable = [.. Enumerable.Range(0, (int)FlowEntryAttr.End).Select(i => (uint)i).Where(i => i != FlowEntryAttr.FlowDataPb)];

    private static (FlowApi Api, FlowTableId Table) NewTable()
    {
        var api = new FlowApi(new FlowApiOptions { Clock = FlowClock.Manual(1000) });
        Assert.Equal(SaiStatus.Success, api.CreateFlowTable(out var table, [SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 4096), SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, (int)FlowEnabledKey.All)]));
        return (api, table);
    }

    private static SaiAttribute[] ReadAll(FlowApi api, in FlowEntryAddress address)
    {
        var attributes = s_readable.Select(SaiAttribute.Query).ToArray();
        Assert.Equal(SaiStatus.Success, api.GetFlowEntryAttribute(in address, attributes));
        return attributes;
    }

    private static byte[] ReadPb(FlowApi api, in FlowEntryAddress address)
    {
        SaiAttribute[] query = [SaiAttribute.Query(FlowEntryAttr.FlowDataPb)];
        Assert.Equal(SaiStatus.Success, api.GetFlowEntryAttribute(in address, query));
        return query[0].Value.AsBytes.ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RoundTrip_RandomEntries_AttributeViewAndProtobufViewAgree(bool v6)
    {
        var random = new Random(v6 ? 61 : 4);
        var (api, table) = NewTable();
        using var owner = api;
        for (int n = 0; n < 200; n++)
        {
            var key = RandomFlows.Key(random, v6);
            var state = RandomFlows.State(random, v6);
            var vendor = RandomFlows.Vendor(random);
            var address = new FlowEntryAddress(table, key);

            // Create from the blob alone; the attribute view then shows exactly the blob's state.
            byte[] blob = FlowRecordCodec.Encode(in key, in state, vendor);
            Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(in address, [SaiAttribute.Bytes(FlowEntryAttr.FlowDataPb, blob)]));
            Assert.Equal(SaiStatus.Success, api.GetFlowEntry(in address, out var stored, out var storedVendor));
            Assert.Equal(state, stored);
            Assert.Equal(vendor, storedVendor);

            // Get returns the complete entry, byte for byte what the generated code writes.
            byte[] got = ReadPb(api, in address);
            Assert.Equal(blob, got);
            Assert.Equal(FlowRecordCodec.ToMessage(in key, in state, vendor).ToByteArray(), got);

            // Every attribute decoded from the blob equals the attribute read directly.
            Assert.Equal(SaiStatus.Success, FlowRecordCodec.TryDecode(got, out var decodedKey, out var decodedState, out var decodedVendor));
            Assert.Equal(key, decodedKey);
            var direct = ReadAll(api, in address);
            foreach (var attribute in direct)
            {
                Assert.Equal(SaiStatus.Success, FlowEntryDraft.Read(in decodedKey, in decodedState, decodedVendor, attribute.Id, 0, out var value));
                Assert.Equal(attribute.Value, value);
            }

            var message = Proto.SaiDashFlowEntry.Parser.ParseFrom(got);
            Assert.Equal(v6 ? 10u : 2u, message.FlowKey.SrcIp.Type);
            Assert.Equal(v6 ? 1u : 0u, message.FlowState.IpAddrFamily);
        }
    }

    [Fact]
    public void Create_AttributesThenBlobThenAttributes_LaterAttributesWinInListOrder()
    {
        var (api, table) = NewTable();
        using var owner = api;
        var random = new Random(9);
        var key = RandomFlows.Key(random, false);
        var state = RandomFlows.State(random, false);
        var address = new FlowEntryAddress(table, key);
        Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(in address,
        [
            SaiAttribute.U32(FlowEntryAttr.MeterClass, 77), // replaced by the blob
            SaiAttribute.Bytes(FlowEntryAttr.FlowDataPb, FlowRecordCodec.Encode(in key, in state, [1, 2, 3])),
            SaiAttribute.U32(FlowEntryAttr.Version, 5),
        ]));
        Assert.Equal(SaiStatus.Success, api.GetFlowEntry(in address, out var stored, out var vendor));
        Assert.Equal(state with { Version = 5 }, stored);
        Assert.Equal([1, 2, 3], vendor);
    }

    [Fact]
    public void Set_FlowDataPb_ReplacesTheWholeStateAndVendorMetadata()
    {
        var (api, table) = NewTable();
        using var owner = api;
        var random = new Random(17);
        var key = RandomFlows.Key(random, true);
        var address = new FlowEntryAddress(table, key);
        Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(in address, RandomFlows.State(random, true), [9, 9, 9]));
        var replacement = new FlowState { Version = 3, IsUnidirectional = true, Direction = FlowDirection.Inbound };
        byte[] blob = FlowRecordCodec.Encode(in key, in replacement, []);
        Assert.Equal(SaiStatus.Success, api.SetFlowEntryAttribute(in address, SaiAttribute.Bytes(FlowEntryAttr.FlowDataPb, blob)));
        Assert.Equal(SaiStatus.Success, api.GetFlowEntry(in address, out var stored, out var vendor));
        Assert.Equal(replacement, stored);
        Assert.Empty(vendor);
        Assert.Equal(blob, ReadPb(api, in address));
    }

    [Fact]
    public void Set_FlowDataPbWithAnotherKey_InvalidAttrValueAndEntryUnchanged()
    {
        var (api, table) = NewTable();
        using var owner = api;
        var random = new Random(23);
        var key = RandomFlows.Key(random, false);
        var state = RandomFlows.State(random, false);
        var address = new FlowEntryAddress(table, key);
        Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(in address, in state));
        var other = key;
        other.SrcPort++;
        byte[] blob = FlowRecordCodec.Encode(in other, new FlowState { IsUnidirectional = true }, []);
        Assert.Equal(SaiStatuses.InvalidAttrValue(0), api.SetFlowEntryAttribute(in address, SaiAttribute.Bytes(FlowEntryAttr.FlowDataPb, blob)));
        Assert.Equal(SaiStatuses.InvalidAttrValue(1), api.CreateFlowEntry(new FlowEntryAddress(table, RandomFlows.Key(random, false)),
            [SaiAttribute.U32(FlowEntryAttr.Version, 1), SaiAttribute.Bytes(FlowEntryAttr.FlowDataPb, blob)]));
        Assert.Equal(SaiStatus.Success, api.GetFlowEntry(in address, out var stored, out _));
        Assert.Equal(state, stored);
    }

    [Fact]
    public void Blob_KeyComparedAsTheTableStoresIt_DisabledFieldsIgnored()
    {
        using var api = new FlowApi();
        Assert.Equal(SaiStatus.Success, api.CreateFlowTable(out var table, [SaiAttribute.U32(FlowTableAttr.MaxFlowCount, 16), SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, (int)(FlowEnabledKey.EniMac | FlowEnabledKey.SrcIp))]));
        var random = new Random(5);
        var key = RandomFlows.Key(random, false);
        var state = new FlowState { IsUnidirectional = true, Version = 8 };
        var address = new FlowEntryAddress(table, key);
        var differsInDisabledField = key;
        differsInDisabledField.DstPort++;
        Assert.Equal(SaiStatus.Success, api.CreateFlowEntry(in address, [SaiAttribute.Bytes(FlowEntryAttr.FlowDataPb, FlowRecordCodec.Encode(in differsInDisabledField, in state, []))]));
        byte[] got = ReadPb(api, in address);
        Assert.Equal(SaiStatus.Success, FlowRecordCodec.TryDecode(got, out var storedKey, out _, out _));
        Assert.Equal(key.Masked(FlowEnabledKey.EniMac | FlowEnabledKey.SrcIp), storedKey);
    }

    public static TheoryData<string> BadRecords => new()
    {
        "not protobuf",
        "no key",
        "mac 5",
        "ip type 3",
        "ipv4 with 16 octets",
        "ipv6 with 4 octets",
        "mixed key families",
        "vnet 65536",
        "proto 256",
        "port 65536",
        "direction 3",
        "action bits",
        "encapsulation 3",
        "vni 2^24",
        "sync state 5",
        "entry action 1",
        "mask 5 octets",
        "underlay mac 7",
    };

    [Theory]
    [MemberData(nameof(BadRecords))]
    public void Decode_InvalidRecord_InvalidParameterAndCreateRefusedWithIndex(string defect)
    {
        var random = new Random(defect.Length);
        var key = RandomFlows.Key(random, false);
        var message = FlowRecordCodec.ToMessage(in key, RandomFlows.State(random, false), []);
        byte[] bytes;
        if (defect == "not protobuf")
        {
            bytes = [0xFF, 0xFF, 0xFF];
        }
        else
        {
            var s = message.FlowState;
            switch (defect)
            {
                case "no key": message.FlowKey = null; break;
                case "mac 5": message.FlowKey.EniMac = ByteString.CopyFrom(new byte[5]); break;
                case "ip type 3": message.FlowKey.SrcIp.Type = 3; break;
                case "ipv4 with 16 octets": message.FlowKey.DstIp.Address = ByteString.CopyFrom(new byte[16]); break;
                case "ipv6 with 4 octets": s.Sip = new Proto.IpAddress { Type = 10, Address = ByteString.CopyFrom(new byte[4]) }; break;
                case "mixed key families": message.FlowKey.SrcIp = new Proto.IpAddress { Type = 10, Address = ByteString.CopyFrom(Enumerable.Repeat((byte)1, 16).ToArray()) }; break;
                case "vnet 65536": message.FlowKey.VnetId = 65536; break;
                case "proto 256": message.ReverseFlowKey.IpProto = 256; break;
                case "port 65536": message.FlowKey.DstPort = 65536; break;
                case "direction 3": s.DashDirection = 3; break;
                case "action bits": s.DashFlowAction = 0x400; break;
                case "encapsulation 3": s.Underlay1DashEncapsulation = 3; break;
                case "vni 2^24": s.Underlay0Vni = 1 << 24; break;
                case "sync state 5": s.DashFlowSyncState = 5; break;
                case "entry action 1": s.Action = 1; break;
                case "mask 5 octets": s.SipMask = ByteString.CopyFrom(new byte[5]); break;
                case "underlay mac 7": s.Underlay0Smac = new Proto.MacAddress { Address = ByteString.CopyFrom(new byte[7]) }; break;
                default: throw new InvalidOperationException(defect);
            }

            bytes = message.ToByteArray();
        }

        Assert.Equal(SaiStatus.InvalidParameter, FlowRecordCodec.TryDecode(bytes, out _, out _, out _));
        var (api, table) = NewTable();
        using var owner = api;
        Assert.Equal(SaiStatuses.InvalidAttrValue(1), api.CreateFlowEntry(new FlowEntryAddress(table, key),
            [SaiAttribute.U32(FlowEntryAttr.Version, 1), SaiAttribute.Bytes(FlowEntryAttr.FlowDataPb, bytes)]));
        Assert.Equal(SaiStatuses.InvalidAttrValue(0), api.CreateFlowEntry(new FlowEntryAddress(table, key), [SaiAttribute.U32(FlowEntryAttr.FlowDataPb, 1)]));
    }

    [Fact]
    public void Writer_RandomEntries_BytesEqualGeneratedCode()
    {
        var random = new Random(1234);
        var buffer = new byte[FlowRecordWriter.MaxSize(FlowEntryDraft.MaxVendorMetadata)];
        for (int n = 0; n < 2000; n++)
        {
            bool v6 = random.Next(2) == 0;
            var key = RandomFlows.Key(random, v6);
            var state = random.Next(4) == 0 ? new FlowState() : RandomFlows.State(random, v6);
            var vendor = random.Next(50) == 0 ? new byte[random.Next(FlowEntryDraft.MaxVendorMetadata + 1)] : RandomFlows.Vendor(random);
            int length = FlowRecordWriter.Write(in key, in state, vendor, buffer);
            Assert.Equal(FlowRecordCodec.ToMessage(in key, in state, vendor).ToByteArray(), buffer.AsSpan(0, length).ToArray());
        }
    }

    [Fact]
    public void RoundTrip_SparseStates_ZeroAddressesKeepTheirFamilyAndBytesMatchGeneratedCode()
    {
        var random = new Random(77);
        var buffer = new byte[FlowRecordWriter.MaxSize(0)];
        IpAddress Pick() => random.Next(4) switch
        {
            0 => IpAddress.AnyV4,
            1 => IpAddress.AnyV6,
            2 => RandomFlows.Ip(random, false),
            _ => RandomFlows.Ip(random, true),
        };
        MacAddress PickMac() => random.Next(2) == 0 ? MacAddress.Zero : RandomFlows.Mac(random);
        int checkedStates = 0;
        for (int n = 0; n < 3000; n++)
        {
            bool v6 = random.Next(2) == 0;
            var key = RandomFlows.Key(random, v6);
            var state = new FlowState
            {
                IsUnidirectional = true,
                ReverseKey = random.Next(2) == 0 ? default : RandomFlows.Key(random, random.Next(2) == 0),
                Rewrite = new FlowRewrite(
                    new UnderlayEncap(0, Pick(), Pick(), PickMac(), PickMac(), 0),
                    new UnderlayEncap(0, Pick(), Pick(), PickMac(), PickMac(), 0),
                    new OverlayRewrite(PickMac(), Pick(), Pick(), Pick(), Pick())),
            };
            if (FlowEntryDraft.ValidateState(in state, FlowCapabilities.Full) != SaiStatus.Success)
            {
                continue; // two non-zero addresses of different families where one family is required
            }

            checkedStates++;
            int length = FlowRecordWriter.Write(in key, in state, [], buffer);
            byte[] bytes = buffer.AsSpan(0, length).ToArray();
            Assert.Equal(FlowRecordCodec.ToMessage(in key, in state, []).ToByteArray(), bytes);
            Assert.Equal(SaiStatus.Success, FlowRecordCodec.TryDecode(bytes, out var decodedKey, out var decoded, out _));
            Assert.Equal(key, decodedKey);
            Assert.Equal(state, decoded);
        }

        Assert.True(checkedStates > 500);
    }

    [Fact]
    public void Decode_AbsentSubMessages_DefaultsAndFamilyFromPartner()
    {
        var key = new FlowKey(new MacAddress(1), 2, 6, IpAddress.Parse("2001:db8::1"), IpAddress.Parse("2001:db8::2"), 3, 4);
        var message = new Proto.SaiDashFlowEntry { FlowKey = FlowRecordCodec.ToMessage(in key, default, []).FlowKey };
        message.FlowKey.DstIp = null; // absent: zero, taking the partner's family
        Assert.Equal(SaiStatus.Success, FlowRecordCodec.TryFromMessage(message, out var decoded, out var state, out var vendor));
        Assert.Equal(IpAddress.AnyV6, decoded.DstIp);
        Assert.Equal(default, state);
        Assert.Empty(vendor);
    }
}
