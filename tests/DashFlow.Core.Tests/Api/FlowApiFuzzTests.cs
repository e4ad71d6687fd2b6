using DashFlow.Api;
using DashFlow.Model;

namespace DashFlow.Core.Tests.Api;

/// <summary>Random attribute lists of random kinds: the API answers every call with a status and never throws, and a
/// refused create or set leaves the table as it was.</summary>
public sealed class FlowApiFuzzTests
{
    private static SaiAttributeValue RandomValue(Random random) => random.Next(9) switch
    {
        0 => SaiAttributeValue.FromBool(random.Next(2) == 1),
        1 => SaiAttributeValue.FromU32((uint)random.Next(-5, 70_000)),
        2 => SaiAttributeValue.FromU64((ulong)random.NextInt64()),
        3 => SaiAttributeValue.FromS32(random.Next(-2, 1100)),
        4 => SaiAttributeValue.FromMac(new MacAddress((ulong)random.NextInt64())),
        5 => SaiAttributeValue.FromIp(IpAddress.FromV4((uint)random.Next())),
        6 => SaiAttributeValue.FromIp(IpAddress.FromV6((ulong)random.NextInt64(), (ulong)random.NextInt64())),
        7 => SaiAttributeValue.FromBytes(new byte[random.Next(0, 40)]),
        _ => default,
    };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void RandomCalls_NeverThrow_AndRefusalsChangeNothing(int seed)
    {
        var random = new Random(seed);
        using var api = new FlowApi();
        var table = DashFlowTestEntry.CreateTable(api, maxFlows: 64);
        Assert.True(api.TryGetTable(table, out var engine));
        for (int i = 0; i < 3000; i++)
        {
            var key = DashFlowTestEntry.Key;
            key.SrcPort = (ushort)random.Next(8);
            var address = new FlowEntryAddress(table, key);
            var attributes = Enumerable.Range(0, random.Next(0, 6))
                .Select(_ => new SaiAttribute((uint)random.Next(0, 40), RandomValue(random)))
                .ToArray();
            long countBefore = engine.Count;
            var existedBefore = api.GetFlowEntry(address, out var before, out var vendorBefore);

            SaiStatus status = random.Next(4) switch
            {
                0 => api.CreateFlowEntry(address, attributes),
                1 => attributes.Length > 0 ? api.SetFlowEntryAttribute(address, attributes[0]) : api.RemoveFlowEntry(address),
                2 => api.GetFlowEntryAttribute(address, attributes),
                _ => api.SetFlowTableAttribute(table, attributes.Length > 0 ? attributes[0] : default),
            };

            Assert.True(Enum.IsDefined(status) || status.Split().AttributeIndex >= 0, $"unexpected status {(int)status}");
            if (status != SaiStatus.Success)
            {
                Assert.Equal(countBefore, engine.Count);
                Assert.Equal(existedBefore, api.GetFlowEntry(address, out var after, out var vendorAfter));
                Assert.Equal(before, after);
                Assert.Equal(vendorBefore, vendorAfter);
            }
        }
    }
}
