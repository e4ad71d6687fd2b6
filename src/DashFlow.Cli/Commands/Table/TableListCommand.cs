using System.CommandLine;
using System.Text.Json;
using DashFlow.Cli.Client;
using Spectre.Console;
using Proto = DashFlow.Protos;

namespace DashFlow.Cli.Commands.Table;

/// <summary><c>dashflow table list [--json]</c>: every table with its flows and counters.</summary>
public static class TableListCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var server = AgentConnection.ServerOption();
        var timeout = AgentConnection.TimeoutOption();
        var json = new Option<bool>("--json") { Description = "One JSON object per table, one per line." };
        var command = new Command("list", "List flow tables with their flows and counters.") { server, timeout, json };
        command.SetAction((parse, cancellation) => AgentConnection.RunAsync(parse.GetValue(server)!, parse.GetValue(timeout), error, async (client, options) =>
        {
            var reply = await client.ListFlowTablesAsync(new Proto.Empty(), options).ResponseAsync.ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                foreach (var t in reply.Tables)
                {
                    output.WriteLine(JsonSerializer.Serialize(new
                    {
                        table = $"0x{t.Oid:x}", max_flow_count = t.MaxFlowCount, enabled_key = EnabledKeyNames.Format(t.EnabledKey), ttl_ms = t.TtlMs,
                        flows = t.Flows, aged = t.Aged, created = t.Created, create_failed = t.CreateFailed, removed = t.Removed, table_full = t.TableFull,
                    }));
                }

                return ExitCodes.Ok;
            }

            var table = new Spectre.Console.Table()
                .AddColumn("table").AddColumn("max flows").AddColumn("enabled key").AddColumn("ttl ms")
                .AddColumn("flows").AddColumn("aged").AddColumn("created").AddColumn("failed").AddColumn("removed");
            foreach (var t in reply.Tables)
            {
                table.AddRow($"0x{t.Oid:x}", $"{t.MaxFlowCount}", Markup.Escape(EnabledKeyNames.Format(t.EnabledKey)), $"{t.TtlMs}",
                    $"{t.Flows}", $"{t.Aged}", $"{t.Created}", $"{t.CreateFailed}", $"{t.Removed}");
            }

            ConsoleOutput.For(output).Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
