using System.CommandLine;
using System.Globalization;
using System.IO.Compression;
using DashFlow.Api;
using DashFlow.Cli.Client;
using DashFlow.Model;
using DashFlow.Records;
using DashFlow.Server.Services;
using DashFlow.Sessions;
using Grpc.Core;
using Spectre.Console;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Commands.Flow;

/// <summary>
/// <c>dashflow flow list</c>: the diagnosis console. The flags become bulk-get filters (at most five, AND-ed, as the API
/// allows); an EVENT-mode session with the limit streams the matching entries back; the output is a table, JSON Lines, or a
/// SONiC flow-dump file. "10 flows from VM A to VM B:443": <c>--src-ip A --dst-ip B --dst-port 443</c>.
/// </summary>
public static class FlowListCommand
{
    private const int MaxFilters = 5;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var server = AgentConnection.ServerOption();
        var timeout = AgentConnection.TimeoutOption();
        timeout.DefaultValueFactory = _ => 60;
        var key = new FlowKeyOptions();
        var version = new Option<string[]>("--version")
        {
            Description = "Version filter, op:value with op lt, le, eq, ge or gt (repeat for a range: --version gt:3 --version lt:5).",
            AllowMultipleArgumentsPerToken = false,
        };
        var aged = new Option<bool>("--aged") { Description = "Only entries marked aged (idle past the table's TTL)." };
        var limit = new Option<uint>("--limit") { Description = "At most this many entries (0 = all).", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "One JSON object per entry (SONiC flow-dump keys)." };
        var file = new Option<FileInfo?>("--output") { Description = "Write the entries to FILE.jsonl, or FILE.jsonl.gz compressed (SONiC flow dump)." };
        var command = new Command("list", "List the flows that match filters: the diagnosis console.") { server, timeout, version, aged, limit, json, file };
        key.AddTo(command);
        command.SetAction(async (parse, cancellation) =>
        {
            var filters = BuildFilters(parse, key, version, aged, error, out ulong? table);
            if (filters is null)
            {
                return ExitCodes.Usage;
            }

            return await AgentConnection.RunAsync(parse.GetValue(server)!, parse.GetValue(timeout), error, async (client, options) =>
            {
                var flows = await ListAsync(client, options, filters, table, parse.GetValue(limit)).ConfigureAwait(false);
                if (parse.GetValue(file) is { } target)
                {
                    WriteDump(target, flows);
                    output.WriteLine($"{flows.Count} flows written to {target.FullName}");
                }
                else if (parse.GetValue(json))
                {
                    foreach (var flow in flows)
                    {
                        output.WriteLine(DumpLine(flow));
                    }
                }
                else
                {
                    WriteTable(output, flows);
                }

                return ExitCodes.Ok;
            }).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Creates the filters and an EVENT session, collects its entries until FINISHED, then removes both.</summary>
    private static async Task<List<Proto.BulkGetSessionEvent>> ListAsync(Proto.FlowApi.FlowApiClient client, CallOptions options, List<Proto.ObjectCreateRequest> filters, ulong? table, uint limit)
    {
        var filterIds = new List<ulong>();
        ulong session = 0;
        using var subscription = client.SubscribeBulkGetEvents(new Proto.BulkGetEventSubscription(), options);
        try
        {
            await subscription.ResponseHeadersAsync.ConfigureAwait(false); // live before the session starts
            foreach (var filter in filters)
            {
                filterIds.Add((await client.CreateFlowEntryBulkGetSessionFilterAsync(filter, options).ResponseAsync.ConfigureAwait(false)).Oid);
            }

            var request = new Proto.ObjectCreateRequest();
            request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.Mode, S32 = (int)BulkGetSessionMode.Event });
            request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.EntryLimitation, U32 = limit });
            for (int i = 0; i < filterIds.Count; i++)
            {
                request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.FirstFilterId + (uint)i, Oid = filterIds[i] });
            }

            if (table is { } tableId)
            {
                request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionAttr.FlowTable, Oid = tableId });
            }

            session = (await client.CreateFlowEntryBulkGetSessionAsync(request, options).ResponseAsync.ConfigureAwait(false)).Oid;
            var flows = new List<Proto.BulkGetSessionEvent>();
            await foreach (var e in subscription.ResponseStream.ReadAllAsync(options.CancellationToken).ConfigureAwait(false))
            {
                if (e.SessionId != session)
                {
                    continue;
                }

                if (e.EventType == (uint)BulkGetSessionEvent.Finished)
                {
                    if (e.FinalState != (uint)BulkGetSessionState.Completed)
                    {
                        throw SaiStatusMapping.ToException(SaiStatus.Failure, $"flow list: the session ended {(BulkGetSessionState)e.FinalState}");
                    }

                    return flows;
                }

                flows.Add(e);
            }

            throw SaiStatusMapping.ToException(SaiStatus.Failure, "flow list: the agent closed the event stream before the session finished");
        }
        finally
        {
            // Best effort: a finished session and its filters are no longer needed on the agent.
            if (session != 0)
            {
                await IgnoreFailure(client.RemoveFlowEntryBulkGetSessionAsync(new Proto.ObjectId { Oid = session }, options).ResponseAsync).ConfigureAwait(false);
            }

            foreach (ulong id in filterIds)
            {
                await IgnoreFailure(client.RemoveFlowEntryBulkGetSessionFilterAsync(new Proto.ObjectId { Oid = id }, options).ResponseAsync).ConfigureAwait(false);
            }
        }
    }

    private static async Task IgnoreFailure(Task call)
    {
        try
        {
            await call.ConfigureAwait(false);
        }
        catch (RpcException)
        {
            // Already gone, or the agent went away: nothing to clean up.
        }
    }

    /// <summary>The filters the flags ask for; null (with a message) for malformed flags or more than five filters.</summary>
    private static List<Proto.ObjectCreateRequest>? BuildFilters(System.CommandLine.ParseResult parse, FlowKeyOptions key, Option<string[]> version, Option<bool> aged, TextWriter error, out ulong? table)
    {
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

            filters.Add(Filter(BulkGetFilterKey.EniMac, BulkGetFilterOp.EqualTo, new Proto.SaiAttribute { Id = BulkGetSessionFilterAttr.MacValue, Mac = FlowRecordCodec.ToMac(mac) }));
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
        foreach (string text in parse.GetValue(version) ?? [])
        {
            if (!TryParseComparison(text, out var op, out ulong value))
            {
                error.WriteLine($"dashflow: --version: '{text}' is not op:value (op lt, le, eq, ge or gt)");
                return null;
            }

            filters.Add(Filter(BulkGetFilterKey.KeyVersion, op, new Proto.SaiAttribute { Id = BulkGetSessionFilterAttr.IntValue, U64 = value }));
        }

        if (parse.GetValue(aged))
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
            filters.Add(Filter(key, BulkGetFilterOp.EqualTo, new Proto.SaiAttribute { Id = BulkGetSessionFilterAttr.IntValue, U64 = v }));
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
            filters.Add(Filter(key, BulkGetFilterOp.EqualTo, IpValue(address)));
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
        filters.Add(Filter(key, BulkGetFilterOp.GreaterThanOrEqualTo, IpValue(FromNumber(low, address.IsV6))));
        filters.Add(Filter(key, BulkGetFilterOp.LessThanOrEqualTo, IpValue(FromNumber(high, address.IsV6))));
        return true;
    }

    private static IpAddress FromNumber(UInt128 value, bool v6) =>
        v6 ? IpAddress.FromV6((ulong)(value >> 64), (ulong)value) : IpAddress.FromV4((uint)value);

    private static Proto.SaiAttribute IpValue(IpAddress address) => new() { Id = BulkGetSessionFilterAttr.IpValue, Ip = FlowRecordCodec.ToIp(address) };

    private static Proto.ObjectCreateRequest Filter(BulkGetFilterKey key, BulkGetFilterOp op, Proto.SaiAttribute value)
    {
        var request = new Proto.ObjectCreateRequest();
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionFilterAttr.Key, S32 = (int)key });
        request.Attributes.Add(new Proto.SaiAttribute { Id = BulkGetSessionFilterAttr.Op, S32 = (int)op });
        request.Attributes.Add(value);
        return request;
    }

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

    private static string DumpLine(Proto.BulkGetSessionEvent flow)
    {
        FlowRecordCodec.TryKey(flow.Key.Key, out var key);
        var attributes = new List<SaiAttribute>(flow.Attrs.Count);
        for (int i = 0; i < flow.Attrs.Count; i++)
        {
            if (AttributeConverter.TryFromMessage(flow.Attrs[i], i, out var attribute) == SaiStatus.Success)
            {
                attributes.Add(attribute);
            }
        }

        return FlowDumpFormat.ToLine(in key, attributes);
    }

    private static void WriteDump(FileInfo target, List<Proto.BulkGetSessionEvent> flows)
    {
        using var file = target.Create();
        using Stream stream = target.Name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionLevel.Fastest) : file;
        using var writer = new StreamWriter(stream);
        foreach (var flow in flows)
        {
            writer.WriteLine(DumpLine(flow));
        }
    }

    private static void WriteTable(TextWriter output, List<Proto.BulkGetSessionEvent> flows)
    {
        var table = new Spectre.Console.Table()
            .AddColumn("eni").AddColumn("vnet").AddColumn("proto").AddColumn("source").AddColumn("destination")
            .AddColumn("ver").AddColumn("direction").AddColumn("actions").AddColumn("sync");
        foreach (var flow in flows)
        {
            FlowRecordCodec.TryKey(flow.Key.Key, out var key);
            int Int(uint id) => FlowFormatting.Find(flow.Attrs, id) is { } a ? (a.ValueCase == Proto.SaiAttribute.ValueOneofCase.S32 ? a.S32 : (int)a.U32) : 0;
            string Address(IpAddress ip, ushort port) => key.IsV6 ? $"[{ip}]:{port}" : $"{ip}:{port}";
            table.AddRow(key.EniMac.ToString(), $"{key.VnetId}", $"{key.IpProtocol}", Address(key.SrcIp, key.SrcPort), Address(key.DstIp, key.DstPort),
                $"{(uint)Int(FlowEntryAttr.Version)}", FlowFormatting.Direction(Int(FlowEntryAttr.DashDirection)),
                Markup.Escape(FlowFormatting.Actions(Int(FlowEntryAttr.DashFlowAction))), FlowFormatting.SyncState(Int(FlowEntryAttr.DashFlowSyncState)));
        }

        var console = ConsoleOutput.For(output);
        console.Write(table);
        console.WriteLine($"{flows.Count} flows");
    }
}
