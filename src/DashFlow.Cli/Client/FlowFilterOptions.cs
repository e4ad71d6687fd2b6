using System.CommandLine;
using System.Globalization;
using DashFlow.Api;
using DashFlow.Model;
using DashFlow.Records;
using DashFlow.Server.Client;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Client;

/// <summary>
/// Filter flags shared by <c>flow list</c> and <c>session create</c>: the key fields as EQUAL_TO filters (an IP prefix as a
/// GREATER_THAN_OR_EQUAL_TO / LESS_THAN_OR_EQUAL_TO pair, D13), --version op:value, --aged; at most five, as the API ANDs.
/// </summary>
public sealed class FlowFilterOptions
{
    private const int MaxFilters = 5;
    private readonly FlowKeyOptions _key = new();
    private readonly Option<string[]> _version = new("--version")
    {
        Description = "Version filter, op:value with op lt, le, eq, ge or gt (repeat for a range: --version gt:3 --version lt:5).",
    };

    private readonly Option<bool> _aged = new("--aged") { Description = "Only entries marked aged (idle past the table's TTL)." };

    public void AddTo(Command command)
    {
        _key.AddTo(command);
        command.Options.Add(_version);
        command.Options.Add(_aged);
    }

    /// <summary>The filters the flags ask for; null (with a message) for malformed flags or more than five filters.</summary>
    public List<Proto.ObjectCreateRequest>? Build(ParseResult parse, TextWriter error, out ulong? table)
    {
        var key = _key;
        table = null;
        var filters = new List<Proto.ObjectCreateRequest>();
        if (parse.GetValue(key.Table) is { } tableText)
        {
            if (!TableOptions.TryParseId(tableText, out ulong id))
            {
                error.WriteLine($"dashflow: --table: '{tableText}' is not an object id");
                return null;
            }

            table = id;
        }

        if (parse.GetValue(key.EniMac) is { } macText)
        {
            if (!MacAddress.TryParse(macText, out var mac))
            {
                error.WriteLine($"dashflow: --eni-mac: '{macText}' is not a MAC address (aa:bb:cc:dd:ee:ff)");
                return null;
            }

            filters.Add(BulkGetSessions.Filter(BulkGetFilterKey.EniMac, BulkGetFilterOp.EqualTo, new Proto.SaiAttribute { Id = BulkGetSessionFilterAttr.MacValue, Mac = FlowRecordCodec.ToMacMessage(mac) }));
        }

        AddInt(filters, BulkGetFilterKey.VnetId, parse.GetValue(key.Vnet));
        AddInt(filters, BulkGetFilterKey.IpProtocol, parse.GetValue(key.Proto));
        if (!AddIp(filters, BulkGetFilterKey.SrcIpAddr, parse.GetValue(key.SrcIp), "--src-ip", error)
            || !AddIp(filters, BulkGetFilterKey.DstIpAddr, parse.GetValue(key.DstIp), "--dst-ip", error))
        {
            return null;
        }

        AddInt(filters, BulkGetFilterKey.SrcL4Port, parse.GetValue(key.SrcPort));
        AddInt(filters, BulkGetFilterKey.DstL4Port, parse.GetValue(key.DstPort));
        foreach (string text in parse.GetValue(_version) ?? [])
        {
            if (!TryParseComparison(text, out var op, out ulong value))
            {
                error.WriteLine($"dashflow: --version: '{text}' is not op:value (op lt, le, eq, ge or gt)");
                return null;
            }

            filters.Add(BulkGetSessions.Filter(BulkGetFilterKey.KeyVersion, op, new Proto.SaiAttribute { Id = BulkGetSessionFilterAttr.IntValue, U64 = value }));
        }

        if (parse.GetValue(_aged))
        {
            AddInt(filters, BulkGetFilterKey.Aged, 1);
        }

        if (filters.Count > MaxFilters)
        {
            error.WriteLine($"dashflow: {filters.Count} filters asked, the Flow API ANDs at most {MaxFilters} (an IP prefix counts as two)");
            return null;
        }

        return filters;
    }

    private static void AddInt(List<Proto.ObjectCreateRequest> filters, BulkGetFilterKey key, ulong? value)
    {
        if (value is { } v)
        {
            filters.Add(BulkGetSessions.Filter(key, BulkGetFilterOp.EqualTo, new Proto.SaiAttribute { Id = BulkGetSessionFilterAttr.IntValue, U64 = v }));
        }
    }

    /// <summary>An address is one EQUAL_TO filter; a prefix is a GREATER_THAN_OR_EQUAL_TO and LESS_THAN_OR_EQUAL_TO pair (D13).</summary>
    private static bool AddIp(List<Proto.ObjectCreateRequest> filters, BulkGetFilterKey key, string? text, string option, TextWriter error)
    {
        if (text is null)
        {
            return true;
        }

        string[] parts = text.Split('/');
        if (!IpAddress.TryParse(parts[0], out var address) || parts.Length > 2)
        {
            error.WriteLine($"dashflow: {option}: '{text}' is not an IP address or prefix");
            return false;
        }

        if (parts.Length == 1)
        {
            filters.Add(BulkGetSessions.Filter(key, BulkGetFilterOp.EqualTo, IpValue(address)));
            return true;
        }

        int bits = address.ByteLength * 8;
        if (!int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int length) || length < 0 || length > bits)
        {
            error.WriteLine($"dashflow: {option}: '/{parts[1]}' is not a prefix length for this family");
            return false;
        }

        UInt128 full = address.IsV6 ? UInt128.MaxValue : uint.MaxValue;
        UInt128 hostBits = length == bits ? UInt128.Zero : (full >> length);
        UInt128 value = ((UInt128)address.High << 64) | address.Low;
        UInt128 low = value & ~hostBits & full, high = (value | hostBits) & full;
        filters.Add(BulkGetSessions.Filter(key, BulkGetFilterOp.GreaterThanOrEqualTo, IpValue(FromNumber(low, address.IsV6))));
        filters.Add(BulkGetSessions.Filter(key, BulkGetFilterOp.LessThanOrEqualTo, IpValue(FromNumber(high, address.IsV6))));
        return true;
    }

    private static IpAddress FromNumber(UInt128 value, bool v6) =>
        v6 ? IpAddress.FromV6((ulong)(value >> 64), (ulong)value) : IpAddress.FromV4((uint)value);

    private static Proto.SaiAttribute IpValue(IpAddress address) => new() { Id = BulkGetSessionFilterAttr.IpValue, Ip = FlowRecordCodec.ToIpMessage(address) };

    private static bool TryParseComparison(string text, out BulkGetFilterOp op, out ulong value)
    {
        op = BulkGetFilterOp.Invalid;
        value = 0;
        string[] parts = text.Split(':');
        if (parts.Length != 2 || !ulong.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out value))
        {
            return false;
        }

        op = parts[0].ToUpperInvariant() switch
        {
            "LT" => BulkGetFilterOp.LessThan,
            "LE" => BulkGetFilterOp.LessThanOrEqualTo,
            "EQ" => BulkGetFilterOp.EqualTo,
            "GE" => BulkGetFilterOp.GreaterThanOrEqualTo,
            "GT" => BulkGetFilterOp.GreaterThan,
            _ => BulkGetFilterOp.Invalid,
        };
        return op != BulkGetFilterOp.Invalid;
    }

}
