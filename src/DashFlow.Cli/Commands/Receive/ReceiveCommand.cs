using System.CommandLine;
using DashFlow.Server.Hosting;
using DashFlow.Server.Services;

namespace DashFlow.Cli.Commands.Receive;

/// <summary><c>dashflow receive --listen ADDR --output FILE.jsonl[.gz] [--sessions N]</c>: a standalone receiver for
/// GRPC-mode bulk get sessions, writing a SONiC flow dump; it stops after N sessions completed (0 = Ctrl+C).</summary>
public static class ReceiveCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var listen = new Option<string>("--listen") { Description = "Address to receive on, e.g. 127.0.0.1:50052.", Required = true };
        var file = new Option<FileInfo>("--output") { Description = "FILE.jsonl, or FILE.jsonl.gz compressed.", Required = true };
        var sessions = new Option<int>("--sessions") { Description = "Stop after this many sessions completed (0 = run until Ctrl+C).", DefaultValueFactory = _ => 0 };
        var command = new Command("receive", "Receive GRPC-mode bulk get sessions into a flow-dump file.") { listen, file, sessions };
        command.SetAction(async (parse, cancellation) =>
        {
            FlowDumpConsumer consumer;
            try
            {
                consumer = new FlowDumpConsumer(parse.GetValue(file)!.FullName);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"dashflow: --output: {e.Message}");
                return ExitCodes.LocalError;
            }

            using (consumer)
            {
                int wanted = parse.GetValue(sessions);
                int completed = 0;
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                consumer.SessionCompleted += (session, completion) =>
                {
                    output.WriteLine($"session 0x{session:x}: {(completion is null ? "ended without completion" : $"{completion.TotalEntries} entries")}, {consumer.Written} flows written");
                    if (wanted > 0 && Interlocked.Increment(ref completed) >= wanted)
                    {
                        done.TrySetResult();
                    }
                };
                try
                {
                    await using var host = await ReceiverHost.StartAsync(parse.GetValue(listen)!, consumer, cancellationToken: cancellation).ConfigureAwait(false);
                    output.WriteLine($"receiving on {host.Endpoint}");
                    await done.Task.WaitAsync(cancellation).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C: stop receiving and keep what was written.
                }
                catch (ArgumentException e)
                {
                    error.WriteLine($"dashflow: {e.Message}");
                    return ExitCodes.Usage;
                }
                catch (IOException e)
                {
                    error.WriteLine($"dashflow: {e.Message}");
                    return ExitCodes.LocalError;
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
