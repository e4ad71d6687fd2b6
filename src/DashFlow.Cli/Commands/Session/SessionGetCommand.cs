using System.CommandLine;
using DashFlow.Api;
using DashFlow.Cli.Client;
using DashFlow.Sessions;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Commands.Session;

/// <summary><c>dashflow session get --id ID</c>: mode, limit, state, entries delivered and times.</summary>
public static class SessionGetCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var server = AgentConnection.ServerOption();
        var timeout = AgentConnection.TimeoutOption();
        var id = new Option<string>("--id") { Description = "The session's object id.", Required = true };
        var command = new Command("get", "Show a bulk get session's state and progress.") { server, timeout, id };
        command.SetAction((parse, cancellation) =>
        {
            if (!TableOptions.TryReadId(parse.GetValue(id)!, error, out ulong oid))
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            return AgentConnection.RunAsync(parse.GetValue(server)!, parse.GetValue(timeout), error, async (client, options) =>
            {
                var request = new Proto.ObjectGetRequest { Oid = oid };
                request.Ids.AddRange([BulkGetSessionAttr.Mode, BulkGetSessionAttr.EntryLimitation, BulkGetSessionAttr.State,
                    BulkGetSessionAttr.EntriesDelivered, BulkGetSessionAttr.RecordsScanned, BulkGetSessionAttr.CreationTimeMs, BulkGetSessionAttr.LastStateStartTimeMs]);
                var a = (await client.GetFlowEntryBulkGetSessionAttributeAsync(request, options).ResponseAsync.ConfigureAwait(false)).Attributes;
                output.WriteLine($"session          0x{oid:x}");
                output.WriteLine($"mode             {(Model.BulkGetSessionMode)a[0].S32}");
                output.WriteLine($"limit            {a[1].U32}");
                output.WriteLine($"state            {Number(a[2]) switch { var s => ((BulkGetSessionState)s).ToString() }}");
                output.WriteLine($"delivered        {Number(a[3])}");
                output.WriteLine($"scanned          {Number(a[4])}");
                output.WriteLine($"created          {DateTimeOffset.FromUnixTimeMilliseconds((long)Number(a[5])):O}");
                output.WriteLine($"state since      {DateTimeOffset.FromUnixTimeMilliseconds((long)Number(a[6])):O}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static ulong Number(Proto.SaiAttribute attribute) => attribute.ValueCase switch
    {
        Proto.SaiAttribute.ValueOneofCase.U32 => attribute.U32,
        Proto.SaiAttribute.ValueOneofCase.U64 => attribute.U64,
        Proto.SaiAttribute.ValueOneofCase.S32 => (ulong)attribute.S32,
        _ => 0,
    };
}
