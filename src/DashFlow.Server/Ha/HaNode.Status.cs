using DashFlow.Ha.Roles;
using Proto = DashFlow.Protos;

namespace DashFlow.Server.Ha;

// The node's status as the CLI and metrics read it.
public sealed partial class HaNode
{
    /// <summary>Role, state, term, peer, lag, ack latency and counters.</summary>
    public Proto.HaStatus Status()
    {
        var (p50, p99, _) = AckLatency();
        HaState state, peerState;
        ulong term;
        lock (_lock)
        {
            state = _machine.State;
            peerState = _machine.PeerState;
            term = _machine.Term;
        }

        var status = new Proto.HaStatus
        {
            State = state.Name(),
            HaState = (uint)state,
            Term = term,
            Peer = PeerEndpoint.ToString(),
            PeerState = peerState.Name(),
            Decides = state.Decides(),
            Pending = (ulong)Math.Max(0, _queue.Pending),
            AckP50Ms = p50,
            AckP99Ms = p99,
            Desired = _options.Desired.ToString().ToLowerInvariant(),
        };
        foreach (var (name, value) in Counters.Snapshot())
        {
            status.Counters[name] = (ulong)value;
        }

        return status;
    }
}
