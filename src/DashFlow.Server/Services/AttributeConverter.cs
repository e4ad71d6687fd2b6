using DashFlow.Api;
using DashFlow.Model;
using DashFlow.Records;
using Google.Protobuf;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Services;

/// <summary>Converts attributes and entry addresses between the wire and the Flow API; bad input is a SAI status.</summary>
public static class AttributeConverter
{
    /// <summary>The wire form of an attribute.</summary>
    public static Proto.SaiAttribute ToMessage(in SaiAttribute attribute)
    {
        var message = new Proto.SaiAttribute { Id = attribute.Id };
        var value = attribute.Value;
        switch (value.Kind)
        {
            case SaiValueKind.Bool: message.BoolValue = value.AsBool; break;
            case SaiValueKind.U32: message.U32 = value.AsU32; break;
            case SaiValueKind.U64: message.U64 = value.AsU64; break;
            case SaiValueKind.S32: message.S32 = value.AsS32; break;
            case SaiValueKind.Mac: message.Mac = FlowRecordCodec.ToMacMessage(value.AsMac); break;
            case SaiValueKind.Ip: message.Ip = FlowRecordCodec.ToIpMessage(value.AsIp); break;
            case SaiValueKind.Bytes: message.U8List = ByteString.CopyFrom(value.AsBytes.Span); break;
            case SaiValueKind.Oid: message.Oid = value.AsOid; break;
        }

        return message;
    }

    /// <summary>Reads a wire attribute; a malformed MAC or IP is INVALID_ATTR_VALUE at <paramref name="index"/>.</summary>
    public static SaiStatus TryFromMessage(Proto.SaiAttribute message, int index, out SaiAttribute attribute)
    {
        SaiAttributeValue value;
        switch (message.ValueCase)
        {
            case Proto.SaiAttribute.ValueOneofCase.BoolValue: value = SaiAttributeValue.FromBool(message.BoolValue); break;
            case Proto.SaiAttribute.ValueOneofCase.U32: value = SaiAttributeValue.FromU32(message.U32); break;
            case Proto.SaiAttribute.ValueOneofCase.U64: value = SaiAttributeValue.FromU64(message.U64); break;
            case Proto.SaiAttribute.ValueOneofCase.S32: value = SaiAttributeValue.FromS32(message.S32); break;
            case Proto.SaiAttribute.ValueOneofCase.U8List: value = SaiAttributeValue.FromBytes(message.U8List.ToByteArray()); break;
            case Proto.SaiAttribute.ValueOneofCase.Oid: value = SaiAttributeValue.FromOid(message.Oid); break;
            case Proto.SaiAttribute.ValueOneofCase.Mac:
                if (!FlowRecordCodec.TryMac(message.Mac, out var mac))
                {
                    attribute = default;
                    return SaiStatuses.InvalidAttrValue(index);
                }

                value = SaiAttributeValue.FromMac(mac);
                break;
            case Proto.SaiAttribute.ValueOneofCase.Ip:
                if (!FlowRecordCodec.TryIp(message.Ip, out var ip))
                {
                    attribute = default;
                    return SaiStatuses.InvalidAttrValue(index);
                }

                value = SaiAttributeValue.FromIp(ip);
                break;
            default:
                value = default; // no value: the Flow API answers INVALID_ATTR_VALUE for the attribute
                break;
        }

        attribute = new SaiAttribute(message.Id, value);
        return SaiStatus.Success;
    }

    /// <summary>Reads a wire attribute list.</summary>
    public static SaiStatus TryFromMessages(IReadOnlyList<Proto.SaiAttribute> messages, out SaiAttribute[] attributes)
    {
        attributes = new SaiAttribute[messages.Count];
        for (int i = 0; i < messages.Count; i++)
        {
            var status = TryFromMessage(messages[i], i, out attributes[i]);
            if (status != SaiStatus.Success)
            {
                return status;
            }
        }

        return SaiStatus.Success;
    }

    /// <summary>Reads an entry address; a missing or malformed key is INVALID_PARAMETER.</summary>
    public static SaiStatus TryAddress(Proto.FlowEntryAddress? message, out FlowEntryAddress address)
    {
        address = default;
        if (message?.Key is null || !FlowRecordCodec.TryKey(message.Key, out var key) || !key.HasConsistentFamily)
        {
            return SaiStatus.InvalidParameter;
        }

        address = new FlowEntryAddress(new FlowTableId(message.FlowTableId), key);
        return SaiStatus.Success;
    }

    /// <summary>The wire form of an entry address.</summary>
    public static Proto.FlowEntryAddress ToMessage(in FlowEntryAddress address) =>
        new() { FlowTableId = address.Table.Value, Key = FlowRecordCodec.ToKeyMessage(address.Key) };
}
