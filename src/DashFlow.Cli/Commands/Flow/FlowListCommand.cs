using System.CommandLine;
using DashFlow.Api;
using DashFlow.Cli.Client;
using DashFlow.Server.Client;
using DashFlow.Model;
using DashFlow.Records;
using DashFlow.Server.Hosting;
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
    public static Command Create(TextWriter output, TextWriter error)
    {
        var server = AgentConnection.ServerOption();
        var timeout = AgentConnection.TimeoutOption();
        timeout.DefaultValueFactory = _ => 60;
        var filterOptions = new FlowFilterOptions();
        var limit = new Option<uint>("--limit") { Description = "At most this many entries (0 = all).", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "One JSON object per entry (SONiC flow-dump keys)." };
        var file = new Option<FileInfo?>("--output") { Description = "Write the entries to FILE.jsonl, or FILE.jsonl.gz compressed (SONiC flow dump), through a GRPC-mode session." };
        var receiveOn = new Option<string>("--receive-on")
        {
            Description = "With --output: where this command receives the dump; the agent must reach it.",
            DefaultValueFactory = _ => "127.0.0.1:0",
        };
        var command = new Command("list", "List the flows that match filters: the diagnosis console.") { server, timeout, limit, json, file, receiveOn };
        filterOptions.AddTo(command);
        command.SetAction(async (parse, cancellation) =>
        {
            var filters = filterOptions.Build(parse, error, out ulong? table);
            if (filters is null)
            {
                return ExitCodes.Usage;
            }

            if (parse.GetValue(file) is { } dumpFile)
            {
                return await DumpAsync(parse.GetValue(server)!, parse.GetValue(timeout), filters, table, parse.GetValue(limit), dumpFile, parse.GetValue(receiveOn)!, output, error).ConfigureAwait(false);
            }

            return await AgentConnection.RunAsync(parse.GetValue(server)!, parse.GetValue(timeout), error, async (client, options) =>
            {
                var flows = new List<Proto.BulkGetSessionEvent>();
                var listing = ListAsync(client, options, filters, table, parse.GetValue(limit), flows);
                await ConsoleOutput.ShowProgressAfterASecondAsync(output, "flows", () => Volatile.Read(ref flows).Count, parse.GetValue(limit), listing).ConfigureAwait(false);
                await listing.ConfigureAwait(false);
                if (parse.GetValue(json))
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
    private static async Task ListAsync(Proto.FlowApi.FlowApiClient client, CallOptions options, List<Proto.ObjectCreateRequest> filters, ulong? table, uint limit, List<Proto.BulkGetSessionEvent> flows)
    {
        var filterIds = new List<ulong>();
        ulong session = 0;
        using var subscription = client.SubscribeBulkGetEvents(new Proto.BulkGetEventSubscription(), options);
        try
        {
            await subscription.ResponseHeadersAsync.ConfigureAwait(false); // live before the session starts
            session = await BulkGetSessions.CreateAsync(client, options, filters, BulkGetSessions.Request(BulkGetSessionMode.Event, limit, table), filterIds).ConfigureAwait(false);
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

                    return;
                }

                flows.Add(e);
            }

            throw SaiStatusMapping.ToException(SaiStatus.Failure, "flow list: the agent closed the event stream before the session finished");
        }
        finally
        {
            await BulkGetSessions.RemoveAsync(client, options, session, filterIds).ConfigureAwait(false); // finished: no longer needed
        }
    }

    private static string Plural(long count) => count == 1 ? "1 flow" : $"{count} flows";

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

    /// <summary>
    /// A full dump: a receiver here, and a GRPC-mode session on the agent streaming packed records to it (EVENT mode sends
    /// one notification of 33 attributes per flow and cannot keep up with millions).
    /// </summary>
    private static async Task<int> DumpAsync(string server, double timeoutSeconds, List<Proto.ObjectCreateRequest> filters, ulong? table, uint limit, FileInfo target, string receiveOn, TextWriter output, TextWriter error)
    {
        FlowDumpConsumer consumer;
        try
        {
            consumer = new FlowDumpConsumer(target.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"dashflow: --output: {e.Message}");
            return ExitCodes.LocalError;
        }

        using (consumer)
        {
            var finished = new TaskCompletionSource<Proto.BulkGetCompletion?>(TaskCreationOptions.RunContinuationsAsynchronously);
            consumer.SessionCompleted += (_, completion) => finished.TrySetResult(completion);
            ReceiverHost receiver;
            try
            {
                receiver = await ReceiverHost.StartAsync(receiveOn, consumer).ConfigureAwait(false);
            }
            catch (ArgumentException e)
            {
                error.WriteLine($"dashflow: --receive-on: {e.Message}");
                return ExitCodes.Usage;
            }
            catch (IOException e)
            {
                error.WriteLine($"dashflow: --receive-on: {e.Message}");
                return ExitCodes.LocalError;
            }

            await using (receiver)
            {
                int exit = await AgentConnection.RunAsync(server, timeoutSeconds, error, async (client, options) =>
                {
                    var filterIds = new List<ulong>();
                    ulong session = 0;
                    try
                    {
                        var address = receiver.Endpoint.Address.Equals(System.Net.IPAddress.Any) ? System.Net.IPAddress.Loopback : receiver.Endpoint.Address;
                        var request = BulkGetSessions.Request(BulkGetSessionMode.Grpc, limit, table, new System.Net.IPEndPoint(address, receiver.Endpoint.Port));
                        session = await BulkGetSessions.CreateAsync(client, options, filters, request, filterIds).ConfigureAwait(false);
                        var done = finished.Task.WaitAsync(TimeSpan.FromSeconds(timeoutSeconds));
                        await ConsoleOutput.ShowProgressAfterASecondAsync(output, "flows", () => consumer.Written, limit, done).ConfigureAwait(false);
                        var completion = await done.ConfigureAwait(false);
                        if (completion is null || completion.FinalState != (uint)BulkGetSessionState.Completed)
                        {
                            throw SaiStatusMapping.ToException(SaiStatus.Failure, $"flow list: the dump session ended {(completion is null ? "without a completion" : ((BulkGetSessionState)completion.FinalState).ToString())}");
                        }

                        output.WriteLine($"{Plural(consumer.Written)} written to {target.FullName}");
                        return ExitCodes.Ok;
                    }
                    catch (TimeoutException)
                    {
                        error.WriteLine($"dashflow: the dump did not finish within {timeoutSeconds} s");
                        return ExitCodes.Timeout;
                    }
                    finally
                    {
                        await BulkGetSessions.RemoveAsync(client, options, session, filterIds).ConfigureAwait(false);
                    }
                }).ConfigureAwait(false);
                return exit;
            }
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
        console.WriteLine(Plural(flows.Count));
    }
}
