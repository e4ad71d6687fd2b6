using DashFlow.Model;

namespace DashFlow.Core.Tests.Records;

/// <summary>Seeded random flow keys and complete states, IPv4 or IPv6, for property tests.</summary>
internal static class RandomFlows
{
    public static IpAddress Ip(Random random, bool v6) => v6
        ? IpAddress.FromV6((ulong)random.NextInt64() ^ ((ulong)random.Next() << 63), (ulong)random.NextInt64())
        : IpAddress.FromV4((uint)random.NextInt64(0, 1L << 32));

    public static MacAddress Mac(Random random) => new((ulong)random.NextInt64(0, 1L << 48));

    public static FlowKey Key(Random random, bool v6) => new(
        Mac(random), (ushort)random.Next(65536), (byte)random.Next(256), Ip(random, v6), Ip(random, v6), (ushort)random.Next(65536), (ushort)random.Next(65536));

    /// <summary>A complete unidirectional state with every field drawn (so creating it never creates a reverse entry).</summary>
    public static FlowState State(Random random, bool v6)
    {
        bool overlayV6 = random.Next(2) == 0;
        return new FlowState
        {
            Version = (uint)random.NextInt64(0, 1L << 32),
            Direction = (FlowDirection)random.Next(3),
            Actions = (FlowAction)random.Next(0x400) & ~(FlowAction.Nat46 | FlowAction.Nat64), // the Flow API refuses these (NOT_SUPPORTED)
            MeterClass = (uint)random.NextInt64(0, 1L << 32),
            IsUnidirectional = true,
            ReverseKey = Key(random, v6),
            SyncState = (FlowSyncState)random.Next(5),
            Rewrite = new FlowRewrite(
                new UnderlayEncap((uint)random.Next(1 << 24), Ip(random, false), Ip(random, false), Mac(random), Mac(random), (DashEncapsulation)random.Next(3)),
                new UnderlayEncap((uint)random.Next(1 << 24), Ip(random, true), Ip(random, true), Mac(random), Mac(random), (DashEncapsulation)random.Next(3)),
                new OverlayRewrite(Mac(random), Ip(random, overlayV6), Ip(random, overlayV6), Ip(random, overlayV6), Ip(random, overlayV6))),
        };
    }

    public static byte[] Vendor(Random random)
    {
        var bytes = new byte[random.Next(3) == 0 ? 0 : random.Next(1, 300)];
        random.NextBytes(bytes);
        return bytes;
    }
}
