using System.Diagnostics;
using System.Globalization;
using DashFlow.Api;
using DashFlow.Bench.Engine;
using DashFlow.Model;
using DashFlow.Records;
using DashFlow.Server.Client;
using DashFlow.Server.Hosting;
using DashFlow.Server.Services;
using Grpc.Core;
using Proto = DashFlow.Protos;

namespace DashFlow.Bench.Agent;

/// <summary>The figures of one agent run.</summary>
public sealed record AgentResult(int Flows, double List10Ms, double RemoteCreateMflowsS, double DumpMflowsS, long Dumped)
{
    /// <summary>One JSON line with the issue's keys.</summary>
    public string ToJson() => string.Create(CultureInfo.InvariantCulture,
        $"{{\"flows\":{Flows},\"list10_ms\":{List10Ms:F1},\"remote_create_mflows_s\":{RemoteCreateMflowsS:F2},\"dump_mflows_s\":{DumpMflowsS:F2},\"dumped\":{Dumped}}}");
}

/// <summary>
/// A real agent and a real receiver on loopback: remote bulk create of N outbound flows (records, 10,000 per call, two
/// calls in flight), the diagnosis query "10 flows from VM A to VM B:443" (filters + EVENT session, median of 5), and a
/// full GRPC-mode dump into a receiver that decodes every record. Records travel packed (FlowRecordBatch).
/// </summary>
public static class AgentBenchmark
{
    private const int BatchSize = 10_000;
    private const int MatchingFlows = 1000;
    private const int WarmFlows = 50_000;
    private static readonly IpAddress s_vmA = IpAddress.Parse("10.1.1.10");
    private static readonly IpAddress s_vmB = IpAddress.Parse("10.2.2.20");

    /// <summary>Runs the benchmark at one size.</summary>
    public static async Task<AgentResult> RunAsync(int flows)
    {
        await using var agent = await DashFlow.Server.Hosting.Agent.StartAsync(new AgentOptions
        {
            Listen = "127.0.0.1:0",
            LogLevel = "Warning",
            Limits = new AgentLimits { MaxBulkObjects = BatchSize, MaxMessageBytes = 64 * 1024 * 1024 },
        }).ConfigureAwait(false);
        using var channel = Http2Tuning.Channel(agent.GrpcAddress.ToString());
        var client = new Proto.FlowApi.FlowApiClient(channel);

        // Warm-up: every phase on a small table of its own, until tiered JIT has promoted the hot paths of both ends.
        var warmWatch = Stopwatch.StartNew();
        while (warmWatch.Elapsed < TimeSpan.FromSeconds(3))
        {
            ulong warmTable = await CreateTableAsync(client, WarmFlows).ConfigureAwait(false);
            await CreateAllAsync(client, BuildRequests(warmTable, WarmFlows)).ConfigureAwait(false);
            await ListTenAsync(client, warmTable).ConfigureAwait(false);
            await DumpAsync(client, warmTable).ConfigureAwait(false);
        }

        ulong table = await CreateTableAsync(client, flows).ConfigureAwait(false);
        var requests = BuildRequests(table, flows);
        var watch = Stopwatch.StartNew();
        await CreateAllAsync(client, requests).ConfigureAwait(false);
        double createSeconds = watch.Elapsed.TotalSeconds;
        requests.Clear();

        var listTimes = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            watch.Restart();
            int found = await ListTenAsync(client, table).ConfigureAwait(false);
            listTimes.Add(watch.Elapsed.TotalMilliseconds);
            if (found != 10)
            {
                throw new InvalidOperationException($"agent benchmark: the diagnosis query found {found} flows, not 10");
            }
        }

        listTimes.Sort();
        var (dumped, dumpSeconds) = await DumpAsync(client, table).ConfigureAwait(false);
        if (dumped != flows)
        {
            throw new InvalidOperationException($"agent benchmark: the receiver got {dumped} of {flows} flows");
        }

        return new AgentResult(flows, listTimes[2], flows / createSeconds / 1e6, flows / dumpSeconds / 1e6, dumped);
    }

    private static async Task<ulong> CreateTableAsync(Proto.FlowApi.FlowApiClient client, int flows)
    {
        var create = new Proto.ObjectCreateRequest();
        create.Attributes.Add(new Proto.SaiAttribute { Id = FlowTableAttr.MaxFlowCount, U32 = (uint)flows });
        create.Attributes.Add(new Proto.SaiAttribute { Id = FlowTableAttr.DashFlowEnabledKey, S32 = (int)FlowEnabledKey.All });
        return (await client.CreateFlowTableAsync(create).ResponseAsync.ConfigureAwait(false)).Oid;
    }

    /// <summary>The peers' key set with outbound state; every (N/1000)th flow is VM A to VM B:443.</summary>
    private static List<Proto.FlowRecordsCreateRequest> BuildRequests(ulong table, int flows)
    {
        var keys = BenchKeys.Make(flows, out _);
        var templates = OutboundFlowStates.MakeTemplates();
        int stride = Math.Max(1, flows / MatchingFlows);
        var requests = new List<Proto.FlowRecordsCreateRequest>();
        var batch = new FlowRecordBatch(BatchSize * 192);
        for (int i = 0; i < flows; i++)
        {

            var key = keys[i];
            if (i % stride == 0)
            {
                key = new FlowKey(key.EniMac, key.VnetId, 6, s_vmA, s_vmB, (ushort)(i / stride), 443);
            }

            var state = templates[i & (OutboundFlowStates.Destinations - 1)];
            state.ReverseKey = key.Reversed();
            batch.Add(in key, in state, default);
            if (batch.Count == BatchSize || i == flows - 1)
            {
                requests.Add(new Proto.FlowRecordsCreateRequest
                {
                    FlowTableId = table,
                    ErrorMode = 1,
                    PackedRecords = Google.Protobuf.ByteString.CopyFrom(batch.Packed.Span),
                    PackedCount = (uint)batch.Count,
                });
                batch.Clear();
            }
        }

        return requests;
    }

    private static async Task CreateAllAsync(Proto.FlowApi.FlowApiClient client, List<Proto.FlowRecordsCreateRequest> requests)
    {
        var inFlight = new Queue<Task<Proto.BulkStatusReply>>();
        foreach (var request in requests)
        {
            if (inFlight.Count == 2)
            {
                Check(await inFlight.Dequeue().ConfigureAwait(false));
            }

            inFlight.Enqueue(client.CreateFlowRecordsAsync(request).ResponseAsync);
        }

        while (inFlight.Count > 0)
        {
            Check(await inFlight.Dequeue().ConfigureAwait(false));
        }

        static void Check(Proto.BulkStatusReply reply)
        {
            if (reply.Status != 0)
            {
                throw new InvalidOperationException($"agent benchmark: remote create failed: {((SaiStatus)reply.Statuses.First(s => s != 0)).Describe()}");
            }
        }
    }

    /// <summary>What `dashflow flow list --src-ip A --dst-ip B --dst-port 443` does, end to end.</summary>
    private static async Task<int> ListTenAsync(Proto.FlowApi.FlowApiClient client, ulong table)
    {
        using var subscription = client.SubscribeBulkGetEvents(new Proto.BulkGetEventSubscription());
        await subscription.ResponseHeadersAsync.ConfigureAwait(false);
        Proto.ObjectCreateRequest[] filters =
        [
            BulkGetSessions.Filter(BulkGetFilterKey.SrcIpAddr, BulkGetFilterOp.EqualTo, new Proto.SaiAttribute { Id = BulkGetSessionFilterAttr.IpValue, Ip = FlowRecordCodec.ToIpMessage(s_vmA) }),
            BulkGetSessions.Filter(BulkGetFilterKey.DstIpAddr, BulkGetFilterOp.EqualTo, new Proto.SaiAttribute { Id = BulkGetSessionFilterAttr.IpValue, Ip = FlowRecordCodec.ToIpMessage(s_vmB) }),
            BulkGetSessions.Filter(BulkGetFilterKey.DstL4Port, BulkGetFilterOp.EqualTo, new Proto.SaiAttribute { Id = BulkGetSessionFilterAttr.IntValue, U64 = 443 }),
        ];
        var filterIds = new List<ulong>();
        ulong id = await BulkGetSessions.CreateAsync(client, default, filters, BulkGetSessions.Request(BulkGetSessionMode.Event, 10, table), filterIds).ConfigureAwait(false);
        int found = 0;
        await foreach (var e in subscription.ResponseStream.ReadAllAsync().ConfigureAwait(false))
        {
            if (e.SessionId != id)
            {
                continue;
            }

            if (e.EventType == (uint)BulkGetSessionEvent.Finished)
            {
                break;
            }

            found++;
        }

        await BulkGetSessions.RemoveAsync(client, default, id, filterIds).ConfigureAwait(false);
        return found;
    }

    /// <summary>A GRPC-mode session of the whole table into a receiver that decodes every record.</summary>
    private static async Task<(long Dumped, double Seconds)> DumpAsync(Proto.FlowApi.FlowApiClient client, ulong table)
    {
        var consumer = new DecodingConsumer();
        await using var receiver = await ReceiverHost.StartAsync("127.0.0.1:0", consumer).ConfigureAwait(false);
        var session = BulkGetSessions.Request(BulkGetSessionMode.Grpc, 0, table, receiver.Endpoint);
        var watch = Stopwatch.StartNew();
        await client.CreateFlowEntryBulkGetSessionAsync(session).ResponseAsync.ConfigureAwait(false);
        await consumer.Completed.Task.WaitAsync(TimeSpan.FromMinutes(5)).ConfigureAwait(false);
        return (consumer.Decoded, watch.Elapsed.TotalSeconds);
    }

    /// <summary>Decodes every received record (as a real receiver would) and counts them.</summary>
    private sealed class DecodingConsumer : IFlowBatchConsumer
    {
        private long _decoded;

        public TaskCompletionSource Completed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Decoded => Interlocked.Read(ref _decoded);

        public ValueTask<int> ConsumeAsync(ulong sessionId, FlowRecordBatch batch, CancellationToken cancellationToken)
        {
            var counter = default(Counter);
            batch.ForEach(ref counter);
            Interlocked.Add(ref _decoded, counter.Count);
            return ValueTask.FromResult(counter.Count);
        }

        private struct Counter : IFlowRecordVisitor
        {
            public int Count;

            public void Visit(in FlowKey key, in FlowState state, byte[] vendorMetadata) => Count++;
        }

        public ValueTask CompleteAsync(ulong sessionId, Proto.BulkGetCompletion? completion, CancellationToken cancellationToken)
        {
            Completed.TrySetResult();
            return ValueTask.CompletedTask;
        }
    }
}
