using System.Globalization;
using System.Text;
using System.Text.Json;
using DashFlow.Api;
using DashFlow.Model;

namespace DashFlow.Records;

/// <summary>
/// SONiC's flow-dump JSON Lines (spec §4.9): one flow per line, keys <c>em vn pr si di sp dp</c>, then every attribute
/// keyed by its decimal ordinal (§3.4). Bitmasks are decimal numbers, MACs and IPs their usual text, byte lists hex.
/// Readers ignore keys they do not know.
/// </summary>
public static class FlowDumpFormat
{
    /// <summary>One line for a complete entry: every readable attribute but FLOW_DATA_PB, in ordinal order.</summary>
    public static string ToLine(in FlowKey key, in FlowState state, ReadOnlySpan<byte> vendorMetadata)
    {
        var attributes = new SaiAttribute[Sessions.FlowEntryAttributes.Count];
        Sessions.FlowEntryAttributes.Fill(attributes, in key, in state, vendorMetadata);
        return ToLine(in key, attributes);
    }

    /// <summary>One line (without the newline) for an entry's key and attributes.</summary>
    public static string ToLine(in FlowKey key, IEnumerable<SaiAttribute> attributes)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("em", key.EniMac.ToString());
            json.WriteNumber("vn", key.VnetId);
            json.WriteNumber("pr", key.IpProtocol);
            json.WriteString("si", key.SrcIp.ToString());
            json.WriteString("di", key.DstIp.ToString());
            json.WriteNumber("sp", key.SrcPort);
            json.WriteNumber("dp", key.DstPort);
            foreach (var attribute in attributes)
            {
                string name = attribute.Id.ToString(CultureInfo.InvariantCulture);
                var value = attribute.Value;
                switch (value.Kind)
                {
                    case SaiValueKind.Bool: json.WriteBoolean(name, value.AsBool); break;
                    case SaiValueKind.U32: json.WriteNumber(name, value.AsU32); break;
                    case SaiValueKind.U64: json.WriteNumber(name, value.AsU64); break;
                    case SaiValueKind.S32: json.WriteNumber(name, value.AsS32); break;
                    case SaiValueKind.Oid: json.WriteNumber(name, value.AsOid); break;
                    case SaiValueKind.Mac: json.WriteString(name, value.AsMac.ToString()); break;
                    case SaiValueKind.Ip: json.WriteString(name, value.AsIp.ToString()); break;
                    case SaiValueKind.Bytes: json.WriteString(name, Convert.ToHexString(value.AsBytes.Span)); break;
                }
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
