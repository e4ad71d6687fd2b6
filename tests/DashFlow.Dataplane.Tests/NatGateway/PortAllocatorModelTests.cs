using DashFlow.Dataplane.Apps.NatGateway;
using DashFlow.Model;

namespace DashFlow.Dataplane.Tests.NatGateway;

/// <summary>The port pool against a HashSet model, and the backend choice's stability (issue 5).</summary>
public sealed class PortAllocatorModelTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void RandomAllocateAndFree_MatchesAHashSetModel(int seed)
    {
        var rng = new Random(seed);
        ushort first = (ushort)rng.Next(1, 60000);
        ushort last = (ushort)Math.Min(65535, first + rng.Next(0, 300));
        var reserved = Enumerable.Range(0, 5).Select(_ => (ushort)rng.Next(first, last + 1)).ToHashSet();
        var pool = new SnatPortPool(first, last, reserved);
        var held = new HashSet<ushort>();
        int capacity = last - first + 1 - reserved.Count;
        Assert.Equal(capacity, pool.Capacity);

        for (int step = 0; step < 20_000; step++)
        {
            if (rng.Next(3) != 0)
            {
                bool allocated = pool.TryAllocate(out ushort port);
                Assert.Equal(held.Count < capacity, allocated);
                if (allocated)
                {
                    Assert.InRange(port, first, last);
                    Assert.DoesNotContain(port, reserved);
                    Assert.True(held.Add(port), $"port {port} handed out twice");
                }
            }
            else
            {
                ushort port = rng.Next(4) == 0 && held.Count > 0 ? held.ElementAt(rng.Next(held.Count)) : (ushort)rng.Next(first, last + 1);
                Assert.Equal(held.Remove(port), pool.Free(port)); // a port not held is refused: no double free
            }

            Assert.Equal(held.Count, pool.InUseCount);
            Assert.Equal(capacity - held.Count, pool.FreeCount);
            if (step % 997 == 0)
            {
                Assert.All(Enumerable.Range(first, last - first + 1), p => Assert.Equal(held.Contains((ushort)p), pool.IsInUse((ushort)p)));
            }
        }
    }

    [Fact]
    public void Allocation_IsFifo_AFreedPortRestsBehindEveryOtherFreePort()
    {
        var pool = new SnatPortPool(100, 103);
        Assert.True(pool.TryAllocate(out ushort a));
        Assert.Equal(100, a);
        Assert.True(pool.Free(a));
        Assert.True(pool.TryAllocate(out ushort b));
        Assert.Equal(101, b);
    }

    [Fact]
    public void BackendChoice_IsStable_Balanced_AndRemovingABackendMovesOnlyItsClients()
    {
        var backends = Enumerable.Range(1, 5).Select(i => new NatBackend(IpAddress.FromV4(0x0A02_0000u + (uint)i), 8080)).ToArray();
        var all = new RendezvousBackendChooser(backends);
        var again = new RendezvousBackendChooser([.. backends.Reverse()]);
        var without = new RendezvousBackendChooser([.. backends.Where((_, i) => i != 2)]);
        var perBackend = new Dictionary<NatBackend, int>();
        int moved = 0;
        for (int c = 0; c < 20_000; c++)
        {
            var client = IpAddress.FromV4(0xC612_0000u + (uint)(c / 7));
            ushort port = (ushort)(10000 + c % 7);
            Assert.True(all.TryChoose(client, port, 6, out var chosen));
            Assert.True(again.TryChoose(client, port, 6, out var chosenAgain));
            Assert.Equal(chosen, chosenAgain); // depends on the backends, not their order
            Assert.True(without.TryChoose(client, port, 6, out var afterRemoval));
            if (chosen != backends[2])
            {
                Assert.Equal(chosen, afterRemoval);
            }
            else
            {
                moved++;
            }

            perBackend[chosen] = perBackend.GetValueOrDefault(chosen) + 1;
        }

        Assert.All(perBackend.Values, n => Assert.InRange(n, 20_000 / 5 * 0.8, 20_000 / 5 * 1.2));
        Assert.Equal(perBackend[backends[2]], moved);
    }
}
