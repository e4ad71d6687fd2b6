using DashFlow.Api;
using DashFlow.Model;
using DashFlow.Records;
using DashFlow.Sessions;

namespace DashFlow.Core.Tests.Sessions;

/// <summary>
/// For seeded random tables and random filter sets over every key and op, a session delivers exactly the entries a
/// plain LINQ filter over a model selects (no duplicates), in every mode, and never more than its limit.
/// </summary>
public sealed class SessionPropertyTests
{
    private sealed record ModelEntry(FlowTableId Table, FlowKey Key, FlowState State, byte[] Vendor, bool Aged);

    private static readonly MacAddress[] s_enis = [new(0x0200_0000_0001), new(0x0200_0000_0002), new(0x0200_0000_0003)];

    private static IpAddress Address(Random random, bool v6) => v6
        ? IpAddress.FromV6(0x2001_0db8_0000_0000UL, (ulong)random.Next(64))
        : IpAddress.FromV4(0x0A00_0000u | (uint)random.Next(64));

    private static FlowKey RandomKey(Random random)
    {
        bool v6 = random.Next(3) == 0;
        return new FlowKey(s_enis[random.Next(s_enis.Length)], (ushort)random.Next(1, 4), random.Next(2) == 0 ? (byte)6 : (byte)17,
            Address(random, v6), Address(random, v6), (ushort)random.Next(1000, 1016), (ushort)(random.Next(4) == 0 ? 443 : random.Next(80, 84)));
    }

    /// <summary>The plain meaning of one filter on one entry (spec §3.6, D13), written independently of the predicate.</summary>
    private static bool Matches(in BulkGetFilter f, ModelEntry e)
    {
        var k = e.Key;
        return f.Key switch
        {
            BulkGetFilterKey.FlowTableId => e.Table.Value == f.IntValue,
            BulkGetFilterKey.EniMac => k.EniMac == f.MacValue,
            BulkGetFilterKey.IpProtocol => Compare(((ulong)k.IpProtocol).CompareTo(f.IntValue), f.Op),
            BulkGetFilterKey.SrcIpAddr => k.SrcIp.IsV6 == f.IpValue.IsV6 && Compare(k.SrcIp.CompareTo(f.IpValue), f.Op),
            BulkGetFilterKey.DstIpAddr => k.DstIp.IsV6 == f.IpValue.IsV6 && Compare(k.DstIp.CompareTo(f.IpValue), f.Op),
            BulkGetFilterKey.SrcL4Port => Compare(((ulong)k.SrcPort).CompareTo(f.IntValue), f.Op),
            BulkGetFilterKey.DstL4Port => Compare(((ulong)k.DstPort).CompareTo(f.IntValue), f.Op),
            BulkGetFilterKey.KeyVersion => Compare(((ulong)e.State.Version).CompareTo(f.IntValue), f.Op),
            BulkGetFilterKey.VnetId => Compare(((ulong)k.VnetId).CompareTo(f.IntValue), f.Op),
            BulkGetFilterKey.Aged => e.Aged == (f.IntValue == 1),
            _ => throw new InvalidOperationException(),
        };
    }

    private static bool Compare(int order, BulkGetFilterOp op) => op switch
    {
        BulkGetFilterOp.EqualTo => order == 0,
        BulkGetFilterOp.GreaterThan => order > 0,
        BulkGetFilterOp.GreaterThanOrEqualTo => order >= 0,
        BulkGetFilterOp.LessThan => order < 0,
        BulkGetFilterOp.LessThanOrEqualTo => order <= 0,
        _ => throw new InvalidOperationException(),
    };

    private static BulkGetFilter RandomFilter(Random random, List<ModelEntry> model, FlowTableId[] tables)
    {
        var key = (BulkGetFilterKey)random.Next(1, 11);
        var ops = Enum.GetValues<BulkGetFilterOp>().Where(op => BulkGetFilter.IsOpAllowed(key, op)).ToArray();
        var op = ops[random.Next(ops.Length)];
        var sample = model[random.Next(model.Count)];
        int nudge = random.Next(-1, 2);
        ulong Near(ulong value) => (ulong)Math.Max(0, (long)value + nudge);
        IpAddress NearIp(IpAddress ip) => ip.IsV6 ? IpAddress.FromV6(ip.High, Near(ip.Low)) : IpAddress.FromV4((uint)Near(ip.V4));
        return key switch
        {
            BulkGetFilterKey.FlowTableId => new(key, op, random.Next(5) == 0 ? 12345 : tables[random.Next(tables.Length)].Value),
            BulkGetFilterKey.EniMac => new(key, op, MacValue: random.Next(5) == 0 ? new MacAddress(0xFFFF) : sample.Key.EniMac),
            BulkGetFilterKey.IpProtocol => new(key, op, Near(sample.Key.IpProtocol)),
            BulkGetFilterKey.SrcIpAddr => new(key, op, IpValue: NearIp(sample.Key.SrcIp)),
            BulkGetFilterKey.DstIpAddr => new(key, op, IpValue: NearIp(sample.Key.DstIp)),
            BulkGetFilterKey.SrcL4Port => new(key, op, Near(sample.Key.SrcPort)),
            BulkGetFilterKey.DstL4Port => new(key, op, random.Next(6) == 0 ? (ulong)random.Next(2) * 70000 : Near(sample.Key.DstPort)),
            BulkGetFilterKey.KeyVersion => new(key, op, random.Next(6) == 0 ? (random.Next(2) == 0 ? 0UL : uint.MaxValue) : Near(sample.State.Version)),
            BulkGetFilterKey.VnetId => new(key, op, Near(sample.Key.VnetId)),
            _ => new(key, op, (ulong)random.Next(2)),
        };
    }

    [Theory]
    [InlineData(BulkGetSessionMode.Event)]
    [InlineData(BulkGetSessionMode.EventWithoutFlowState)]
    [InlineData(BulkGetSessionMode.Grpc)]
    public async Task Session_RandomTablesAndFilters_DeliversExactlyWhatTheModelSelects(BulkGetSessionMode mode)
    {
        for (int seed = 0; seed < 30; seed++)
        {
            await RunSeed(seed, mode);
        }
    }

    private static async Task RunSeed(int seed, BulkGetSessionMode mode)
    {
        var random = new Random(seed * 31 + (int)mode);
        using var harness = new SessionHarness(new FlowApiOptions { BulkGetSliceRecords = random.Next(1, 4) == 1 ? 7 : 4096 });
        var tables = new[]
        {
            harness.CreateTable(1024, FlowEnabledKey.All, ttlMs: 5_000),
            harness.CreateTable(1024, FlowEnabledKey.EniMac | FlowEnabledKey.SrcIp | FlowEnabledKey.DstIp | FlowEnabledKey.DstPort, ttlMs: 5_000),
        };
        var model = new List<ModelEntry>();
        var keys = new HashSet<FlowKey>();
        foreach (var table in tables)
        {
            harness.Api.TryGetTable(table, out var engine);
            int count = random.Next(50, 250);
            for (int i = 0; i < count; i++)
            {
                var key = engine.MaskKey(RandomKey(random));
                if (!keys.Add(key))
                {
                    continue;
                }

                var state = RandomFlowsState(random, key.IsV6);
                var vendor = random.Next(4) == 0 ? new byte[] { (byte)i, 1, 2 } : [];
                Assert.Equal(SaiStatus.Success, harness.Api.CreateFlowEntry(new FlowEntryAddress(table, key), in state, vendor));
                model.Add(new ModelEntry(table, key, state, vendor, Aged: false));
            }
        }

        // Age everything, then hit a third of the entries: those are fresh again.
        harness.Clock.Advance(6_000);
        for (int i = 0; i < model.Count; i++)
        {
            var entry = model[i];
            if (random.Next(3) == 0)
            {
                harness.Api.TryGetTable(entry.Table, out var engine);
                Assert.True(engine.TryLookup(entry.Key, out _));
            }
            else
            {
                model[i] = entry with { Aged = true };
            }
        }

        for (int round = 0; round < 4; round++)
        {
            var filters = Enumerable.Range(0, random.Next(0, 6)).Select(_ => RandomFilter(random, model, tables)).ToArray();
            var ids = filters.Select(f => harness.Filter(f.Key, f.Op, f.IntValue, f.IpValue, f.MacValue)).ToArray();
            uint limit = random.Next(3) == 0 ? (uint)random.Next(1, 20) : 0;
            var scope = random.Next(4) == 0 ? tables[random.Next(2)] : default;
            var expected = model.Where(e => (scope.Value == 0 || e.Table == scope) && filters.All(f => Matches(in f, e))).ToList();

            var id = harness.Start(mode, limit, ids, scope);
            var log = await harness.FinishedAsync(id);
            harness.Sinks.TryDequeue(out var sink);
            var delivered = harness.Delivered(id, mode, sink.Sink);
            string context = $"seed {seed}, round {round}, mode {mode}, limit {limit}, filters [{string.Join("; ", filters)}]";

            Assert.True(log.Finished.Count == 1, context);
            Assert.Equal(BulkGetSessionState.Completed, log.Finished[0].State);
            Assert.Equal(delivered.Count, log.Finished[0].Delivered);
            Assert.Equal(delivered.Count, delivered.Distinct().Count());
            Assert.Equal(SaiStatus.Success, harness.Api.GetBulkGetSessionStatus(id, out var status));
            Assert.Equal(BulkGetSessionState.Completed, status.State);
            Assert.Equal(delivered.Count, status.EntriesDelivered);

            var expectedKeys = expected.Select(e => mode == BulkGetSessionMode.Grpc ? new FlowEntryAddress(default, e.Key) : new FlowEntryAddress(e.Table, e.Key)).ToHashSet();
            if (limit == 0)
            {
                Assert.True(expectedKeys.SetEquals(delivered), context);
            }
            else
            {
                Assert.Equal(Math.Min(limit, expected.Count), delivered.Count);
                Assert.True(delivered.All(expectedKeys.Contains), context);
            }

            CheckContent(harness, mode, log, sink.Sink, model);
            Assert.Equal(SaiStatus.Success, harness.Api.RemoveFlowEntryBulkGetSession(id));
            foreach (var filter in ids)
            {
                Assert.Equal(SaiStatus.Success, harness.Api.RemoveFlowEntryBulkGetSessionFilter(filter));
            }
        }

        harness.AssertEachFinishedOnce();
    }

    /// <summary>EVENT attributes equal what get_flow_entry_attribute returns; EVENT_WITHOUT_FLOW_STATE sends none; GRPC records decode to the entry.</summary>
    private static void CheckContent(SessionHarness harness, BulkGetSessionMode mode, SessionLog log, MemorySink? sink, List<ModelEntry> model)
    {
        switch (mode)
        {
            case BulkGetSessionMode.Event:
                foreach (var (entry, attributes) in log.Entries)
                {
                    Assert.Equal(FlowEntryAttributes.Count, attributes.Length);
                    var expected = attributes.Select(a => SaiAttribute.Query(a.Id)).ToArray();
                    Assert.Equal(SaiStatus.Success, harness.Api.GetFlowEntryAttribute(in entry, expected));
                    Assert.Equal(expected, attributes);
                }

                break;
            case BulkGetSessionMode.EventWithoutFlowState:
                Assert.All(log.Entries, e => Assert.Empty(e.Attributes));
                break;
            default:
                var tableOf = model.ToDictionary(e => e.Key, e => e.Table); // keys are unique over both tables
                foreach (var record in sink!.Records)
                {
                    Assert.Equal(SaiStatus.Success, FlowRecordCodec.TryFromMessage(record, out var key, out var state, out var vendor));
                    Assert.Equal(SaiStatus.Success, harness.Api.GetFlowEntry(new FlowEntryAddress(tableOf[key], key), out var stored, out var storedVendor));
                    Assert.Equal(stored, state);
                    Assert.Equal(storedVendor, vendor);
                }

                break;
        }
    }

    private static FlowState RandomFlowsState(Random random, bool v6)
    {
        var state = Records.RandomFlows.State(random, v6);
        state.Version = (uint)random.Next(0, 10);
        return state;
    }
}
