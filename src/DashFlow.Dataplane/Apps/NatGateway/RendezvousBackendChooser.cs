using System.Runtime.CompilerServices;
using DashFlow.Model;

namespace DashFlow.Dataplane.Apps.NatGateway;

/// <summary>
/// The stable backend choice of one DNAT listener: rendezvous (highest random weight) hashing. Each backend scores the
/// client tuple with a hash seeded by the backend's own address and port, and the highest score wins. The same client tuple
/// always gets the same backend; removing a backend moves only the clients it had, adding one takes about 1/n of each.
/// </summary>
/// <remarks>O(backends) per new connection with no allocation; pools are small (tens), so this beats a ring's lookup table.</remarks>
public sealed class RendezvousBackendChooser
{
    private readonly NatBackend[] _backends;
    private readonly ulong[] _seeds;

    /// <summary>A chooser over <paramref name="backends"/> (order does not matter).</summary>
    public RendezvousBackendChooser(IReadOnlyList<NatBackend> backends)
    {
        _backends = [.. backends];
        _seeds = new ulong[_backends.Length];
        for (int i = 0; i < _backends.Length; i++)
        {
            _seeds[i] = Mix(_backends[i].Ip.High ^ Mix(_backends[i].Ip.Low ^ ((ulong)_backends[i].Port << 48) ^ 0x5851F42D4C957F2DUL));
        }
    }

    /// <summary>The number of backends.</summary>
    public int Count => _backends.Length;

    /// <summary>The backend for a client; false for an empty pool.</summary>
    public bool TryChoose(IpAddress clientIp, ushort clientPort, byte protocol, out NatBackend backend)
    {
        if (_backends.Length == 0)
        {
            backend = null!;
            return false;
        }

        ulong client = Mix(clientIp.High ^ Mix(clientIp.Low ^ ((ulong)clientPort << 32) ^ ((ulong)protocol << 56)));
        int best = 0;
        ulong bestScore = 0;
        for (int i = 0; i < _seeds.Length; i++)
        {
            ulong score = Mix(client ^ _seeds[i]);
            if (score > bestScore || i == 0)
            {
                best = i;
                bestScore = score;
            }
        }

        backend = _backends[best];
        return true;
    }

    /// <summary>splitmix64's finalizer: every input bit moves every output bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
