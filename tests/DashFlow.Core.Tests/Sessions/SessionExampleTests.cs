using DashFlow.Api;
using DashFlow.Model;
using DashFlow.Sessions;

namespace DashFlow.Core.Tests.Sessions;

/// <summary>The seed's examples (DECK p29–35, spec §1 use cases) as sessions.</summary>
public sealed class SessionExampleTests
{
    private static readonly MacAddress s_eni = MacAddress.Parse("00:00:02:03:04:05");

    private static FlowKey Key(string src, string dst, ushort srcPort, ushort dstPort, byte proto = 6) =>
        new(s_eni, 100, proto, IpAddress.Parse(src), IpAddress.Parse(dst), srcPort, dstPort);

    private static FlowState State(uint version) => new() { Version = version, Direction = FlowDirection.Outbound, IsUnidirectional = true };

    private static void Create(SessionHarness harness, FlowTableId table, in FlowKey key, uint version = 1) =>
        Assert.Equal(SaiStatus.Success, harness.Api.CreateFlowEntry(new FlowEntryAddress(table, key), State(version)));

    private static async Task<List<FlowEntryAddress>> RunEvent(SessionHarness harness, uint limit, params BulkGetSessionFilterId[] filters)
    {
        var id = harness.Start(BulkGetSessionMode.Event, limit, filters);
        var log = await harness.FinishedAsync(id);
        Assert.Equal(BulkGetSessionState.Completed, Assert.Single(log.Finished).State);
        return [.. log.Entries.Select(e => e.Entry)];
    }

    private static uint VersionOf(SessionHarness harness, in FlowEntryAddress entry)
    {
        Assert.Equal(SaiStatus.Success, harness.Api.GetFlowEntry(in entry, out var state, out _));
        return state.Version;
    }

    [Fact]
    public async Task PerfectSync_AllFlowsWithVersionBelow5_ExactlyThose()
    {
        using var harness = new SessionHarness();
        var table = harness.CreateTable();
        for (int i = 0; i < 100; i++)
        {
            Create(harness, table, Key("10.0.0.1", "10.0.1.1", (ushort)(1000 + i), 80), (uint)(i % 10));
        }

        var delivered = await RunEvent(harness, 0, harness.Filter(BulkGetFilterKey.KeyVersion, BulkGetFilterOp.LessThan, 5));
        Assert.Equal(50, delivered.Count);
        Assert.All(delivered, e => Assert.True(VersionOf(harness, e) < 5));
        harness.AssertEachFinishedOnce();
    }

    [Fact]
    public async Task RangeSync_VersionBetween3And5Exclusive_OnlyVersion4()
    {
        using var harness = new SessionHarness();
        var table = harness.CreateTable();
        for (int i = 0; i < 100; i++)
        {
            Create(harness, table, Key("10.0.0.1", "10.0.1.1", (ushort)(1000 + i), 80), (uint)(i % 10));
        }

        var delivered = await RunEvent(harness, 0,
            harness.Filter(BulkGetFilterKey.KeyVersion, BulkGetFilterOp.GreaterThan, 3),
            harness.Filter(BulkGetFilterKey.KeyVersion, BulkGetFilterOp.LessThan, 5));
        Assert.Equal(10, delivered.Count);
        Assert.All(delivered, e => Assert.Equal(4u, VersionOf(harness, e)));
        harness.AssertEachFinishedOnce();
    }

    [Fact]
    public async Task Diagnosis_TenFlowsFromVmAToVmB443_TenMatchingFlows()
    {
        using var harness = new SessionHarness();
        var table = harness.CreateTable();
        for (int i = 0; i < 40; i++)
        {
            Create(harness, table, Key("10.1.2.51", "10.1.2.50", (ushort)(20000 + i), 443)); // A -> B:443
            Create(harness, table, Key("10.1.2.51", "10.1.2.50", (ushort)(20000 + i), 80));  // A -> B:80
            Create(harness, table, Key("10.1.2.52", "10.1.2.50", (ushort)(20000 + i), 443)); // C -> B:443
            Create(harness, table, Key("10.1.2.51", "10.1.2.53", (ushort)(20000 + i), 443)); // A -> D:443
        }

        var delivered = await RunEvent(harness, 10,
            harness.Filter(BulkGetFilterKey.SrcIpAddr, BulkGetFilterOp.EqualTo, ip: IpAddress.Parse("10.1.2.51")),
            harness.Filter(BulkGetFilterKey.DstIpAddr, BulkGetFilterOp.EqualTo, ip: IpAddress.Parse("10.1.2.50")),
            harness.Filter(BulkGetFilterKey.DstL4Port, BulkGetFilterOp.EqualTo, 443));
        Assert.Equal(10, delivered.Count);
        Assert.Equal(10, delivered.Distinct().Count());
        Assert.All(delivered, e =>
        {
            Assert.Equal(IpAddress.Parse("10.1.2.51"), e.Key.SrcIp);
            Assert.Equal(IpAddress.Parse("10.1.2.50"), e.Key.DstIp);
            Assert.Equal(443, e.Key.DstPort);
        });
        harness.AssertEachFinishedOnce();
    }

    [Fact]
    public async Task NatAging_AllAgedFlows_IdlePastTtlOnly()
    {
        using var harness = new SessionHarness();
        var table = harness.CreateTable(ttlMs: 5_000);
        harness.Api.TryGetTable(table, out var engine);
        var keys = Enumerable.Range(0, 20).Select(i => Key("10.0.0.9", "8.8.8.8", (ushort)(3000 + i), 53, 17)).ToArray();
        foreach (var key in keys)
        {
            Create(harness, table, key);
        }

        var aged = harness.Filter(BulkGetFilterKey.Aged, BulkGetFilterOp.EqualTo, 1);
        var fresh = harness.Filter(BulkGetFilterKey.Aged, BulkGetFilterOp.EqualTo, 0);
        Assert.Empty(await RunEvent(harness, 0, aged));

        harness.Clock.Advance(6_000); // past the 5 s TTL
        for (int i = 0; i < 5; i++)
        {
            Assert.True(engine.TryLookup(in keys[i], out _)); // traffic keeps these five alive
        }

        var agedKeys = (await RunEvent(harness, 0, aged)).Select(e => e.Key).ToHashSet();
        Assert.True(agedKeys.SetEquals(keys[5..]));
        Assert.True((await RunEvent(harness, 0, fresh)).Select(e => e.Key).ToHashSet().SetEquals(keys[..5]));

        // Marked aged by the sweeper: the same answer; the NAT gateway then removes them.
        engine.SweepAgingFully();
        Assert.True((await RunEvent(harness, 0, aged)).Select(e => e.Key).ToHashSet().SetEquals(keys[5..]));
        foreach (var key in agedKeys)
        {
            Assert.Equal(SaiStatus.Success, harness.Api.RemoveFlowEntry(new FlowEntryAddress(table, key)));
        }

        Assert.Empty(await RunEvent(harness, 0, aged));
        harness.AssertEachFinishedOnce();
    }

    [Fact]
    public async Task Scope_FlowTableAttributeAndFlowTableIdFilter_OnlyThatTable()
    {
        using var harness = new SessionHarness();
        var a = harness.CreateTable();
        var b = harness.CreateTable();
        for (int i = 0; i < 10; i++)
        {
            Create(harness, a, Key("10.0.0.1", "10.0.0.2", (ushort)i, 1));
            Create(harness, b, Key("10.0.0.1", "10.0.0.2", (ushort)i, 2));
        }

        var id = harness.Start(BulkGetSessionMode.EventWithoutFlowState, 0, [], b);
        Assert.All((await harness.FinishedAsync(id)).Entries, e => Assert.Equal(b, e.Entry.Table));
        Assert.Equal(10, harness.Log(id).Entries.Count);

        var byFilter = await RunEvent(harness, 0, harness.Filter(BulkGetFilterKey.FlowTableId, BulkGetFilterOp.EqualTo, a.Value));
        Assert.Equal(10, byFilter.Count);
        Assert.All(byFilter, e => Assert.Equal(a, e.Table));

        Assert.Equal(20, (await RunEvent(harness, 0)).Count);
        harness.AssertEachFinishedOnce();
    }

    [Fact]
    public async Task IpFilters_SubnetAsTwoFilters_NeverTheOtherFamily()
    {
        using var harness = new SessionHarness();
        var table = harness.CreateTable();
        for (int i = 0; i < 16; i++)
        {
            Create(harness, table, Key($"10.0.{i}.1", "10.9.9.9", 1, 1));
            Create(harness, table, Key($"2001:db8:{i}::1", "2001:db8:ffff::9", 1, 1));
        }

        var subnet = await RunEvent(harness, 0,
            harness.Filter(BulkGetFilterKey.SrcIpAddr, BulkGetFilterOp.GreaterThanOrEqualTo, ip: IpAddress.Parse("10.0.4.0")),
            harness.Filter(BulkGetFilterKey.SrcIpAddr, BulkGetFilterOp.LessThan, ip: IpAddress.Parse("10.0.8.0")));
        Assert.Equal(4, subnet.Count);
        Assert.All(subnet, e => Assert.False(e.Key.IsV6));

        var allV6 = await RunEvent(harness, 0, harness.Filter(BulkGetFilterKey.SrcIpAddr, BulkGetFilterOp.GreaterThanOrEqualTo, ip: IpAddress.AnyV6));
        Assert.Equal(16, allV6.Count);
        Assert.All(allV6, e => Assert.True(e.Key.IsV6));
        harness.AssertEachFinishedOnce();
    }

    [Theory]
    [InlineData(false, 33)]
    [InlineData(true, 34)]
    public async Task Event_AttributesAgreeWithGet_FlowDataPbOnRequest(bool includeFlowData, int expectedCount)
    {
        using var harness = new SessionHarness(new FlowApiOptions { BulkGetEventIncludesFlowDataPb = includeFlowData });
        var table = harness.CreateTable();
        var random = new Random(3);
        for (int i = 0; i < 300; i++)
        {
            var key = Records.RandomFlows.Key(random, i % 2 == 0);
            Assert.Equal(SaiStatus.Success, harness.Api.CreateFlowEntry(new FlowEntryAddress(table, key), Records.RandomFlows.State(random, key.IsV6), Records.RandomFlows.Vendor(random)));
        }

        var id = harness.Start(BulkGetSessionMode.Event, 0, []);
        var log = await harness.FinishedAsync(id);
        Assert.Equal(300, log.Entries.Count);
        foreach (var (entry, attributes) in log.Entries)
        {
            Assert.Equal(expectedCount, attributes.Length);
            Assert.Equal(attributes.Length, attributes.Select(a => a.Id).Distinct().Count());
            Assert.Equal(includeFlowData, attributes.Any(a => a.Id == FlowEntryAttr.FlowDataPb));
            var expected = attributes.Select(a => SaiAttribute.Query(a.Id)).ToArray();
            Assert.Equal(SaiStatus.Success, harness.Api.GetFlowEntryAttribute(in entry, expected));
            Assert.Equal(expected, attributes);
        }

        harness.AssertEachFinishedOnce();
    }
}
