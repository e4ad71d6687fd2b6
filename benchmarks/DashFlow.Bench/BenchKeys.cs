using System.Buffers.Binary;
using DashFlow.Dataplane.Traffic;
using DashFlow.Model;

namespace DashFlow.Bench;

/// <summary>
/// The peers' key set (shared/peers/README.md): splitmix64 from 42, two draws per key, IPv4 5-tuples over 64 ENIs, then a
/// Fisher-Yates lookup order from the same generator. Address bytes match bench.c's memcpy of the little-endian draw.
/// </summary>
public static class BenchKeys
{
    /// <summary>Makes <paramref name="count"/> keys and the shuffled visiting order.</summary>
    public static FlowKey[] Make(int count, out int[] order)
    {
        var random = new SplitMix64(42);
        var keys = new FlowKey[count];
        for (int i = 0; i < count; i++)
        {
            ulong r = random.Next();
            ulong q = random.Next();
            var src = IpAddress.FromV4(BinaryPrimitives.ReverseEndianness((uint)q));
            var dst = IpAddress.FromV4(BinaryPrimitives.ReverseEndianness((uint)(q >> 32)));
            keys[i] = new FlowKey(
                new MacAddress(0x02_00_00_00_00_00UL | (r & 63)),
                100,
                ((r >> 8) & 1) != 0 ? (byte)6 : (byte)17,
                src,
                dst,
                (ushort)(r >> 16),
                (ushort)(r >> 32));
        }

        order = new int[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
        }

        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)(random.Next() % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }

        return keys;
    }
}
