using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Core.Tests.Engine;

/// <summary>Keys that share a home bucket and a 16-bit tag: the batched lookup's first candidate is then the wrong record.</summary>
public sealed class FlowTableTagCollisionTests
{
    private static FlowKey Key(uint i) => new(new MacAddress(2), 1, 17, IpAddress.FromV4(0x0A000000u + i), IpAddress.FromV4(0x0B000001), (ushort)i, 53);

    private static readonly FlowState s_state = new() { IsUnidirectional = true, Version = 7, Actions = FlowAction.SetDmac };

    /// <summary>Searches the key space for <paramref name="count"/> keys with one home bucket and one tag.</summary>
    private static List<FlowKey> CollidingKeys(FlowTable table, int count)
    {
        var seen = new Dictionary<(long Bucket, ulong Tag), List<FlowKey>>();
        for (uint i = 0; ; i++)
        {
            var key = Key(i);
            var slot = (table.HomeBucketOf(in key), FlowKeyHash.Hash(in key) >> 48);
            if (!seen.TryGetValue(slot, out var keys))
            {
                seen[slot] = keys = [];
            }

            keys.Add(key);
            if (keys.Count == count)
            {
                return keys;
            }
        }
    }

    [Fact]
    public void LookupBatch_KeysSharingBucketAndTag_EachFindsItsOwnEntryOrMisses()
    {
        using var table = new FlowTable(new FlowTableOptions(64, FlowEnabledKey.All, 0, FlowClock.Manual()));
        var keys = CollidingKeys(table, 3);
        // The first key created is the first tag match in the bucket, so the later ones are found only past it.
        Assert.Equal(SaiStatus.Success, table.Create(keys[0], in s_state));
        Assert.Equal(SaiStatus.Success, table.Create(keys[1], s_state with { Version = 8 }));
        FlowKey[] batch = [keys[1], keys[2], keys[0], keys[1]];
        var hits = new FlowHit[batch.Length];

        int found = table.LookupBatch(batch, hits);

        Assert.Equal(3, found);
        Assert.True(hits[0].Found);
        Assert.False(hits[1].Found); // keys[2] shares the tag but was never created
        Assert.True(hits[2].Found);
        Assert.True(hits[3].Found);
        Assert.True(table.TryReadDetails(in hits[0], out var second));
        Assert.True(table.TryReadDetails(in hits[2], out var first));
        Assert.Equal(8u, second.Version);
        Assert.Equal(7u, first.Version);
        for (int i = 0; i < batch.Length; i++)
        {
            Assert.Equal(table.TryLookup(in batch[i], out var single), hits[i].Found);
            Assert.Equal(single.Actions, hits[i].Actions);
        }
    }
}
