using DashFlow.Api;
using DashFlow.Dataplane.Packets;
using DashFlow.Model;

namespace DashFlow.Dataplane.Pipeline;

/// <summary>What the slow path did with a packet that missed the flow table.</summary>
public enum SlowPathVerdict : byte
{
    /// <summary>The app created the flow (pair); the pipeline re-injects the packet on the fast path.</summary>
    Created,

    /// <summary>The app chose not to create a flow for this packet; the pipeline drops and counts it (SlowPathIgnored).</summary>
    Ignored,

    /// <summary>The app refused the connection (policy, no resources such as an exhausted port pool); dropped and counted.</summary>
    Refused,
}

/// <summary>Why a connection is being removed by the pipeline.</summary>
public enum ConnectionCloseReason : byte
{
    /// <summary>Both directions sent FIN (D18 default), or the first FIN in <c>first-fin</c> mode.</summary>
    TcpFin,

    /// <summary>An RST: the pair goes at once.</summary>
    TcpRst,
}

/// <summary>A packet that missed, as the slow path sees it: the key it was looked up with and its parsed headers.</summary>
/// <remarks>A ref struct so the parsed packet is passed by reference and nothing is allocated per miss.</remarks>
public readonly ref struct SlowPathRequest
{
    public SlowPathRequest(FlowTableId table, in FlowKey key, ref readonly ParsedPacket packet, long nowMs)
    {
        Table = table;
        Key = key;
        _packet = ref packet;
        NowMs = nowMs;
    }

    private readonly ref readonly ParsedPacket _packet;

    /// <summary>The flow table the packet was looked up in (the ENI's table).</summary>
    public FlowTableId Table { get; }

    /// <summary>The key the packet was looked up with (ENI MAC, VNET id, innermost 5-tuple; masked by the table on use).</summary>
    public FlowKey Key { get; }

    /// <summary>The parsed packet (offsets into the frame, innermost 5-tuple, TCP flags, tunnel).</summary>
    public ref readonly ParsedPacket Packet => ref _packet;

    /// <summary>The pipeline clock (packet time in replays) in milliseconds.</summary>
    public long NowMs { get; }
}

/// <summary>
/// The DPAPP side of the pipeline: decides what a missed packet becomes, owns the lifetime of the flows it creates
/// (it removes them, because it may hold resources such as NAT ports), and runs aging on the pipeline's clock.
/// </summary>
/// <remarks>
/// The pipeline only calls <see cref="OnMiss"/> for packets DASH lets create flows (TCP SYN, UDP, ICMP echo request,
/// other non-error ICMP when <see cref="LearnsOtherIcmp"/>), unless <see cref="LearnsAnyPacket"/> is set (observe
/// <c>--learn all</c>). ICMP errors and non-first fragments never reach it.
/// SNAT_PORT and DNAT_PORT take their ports from the entry's reverse key (SAI has no port attributes): the translated
/// packet is the reverse of the reverse key, so SNAT_PORT sets the source port to the reverse key's destination port
/// and DNAT_PORT sets the destination port to the reverse key's source port.
/// </remarks>
public interface ISlowPath
{
    /// <summary>The app's name (observe, nat-gateway), for reports.</summary>
    string Name { get; }

    /// <summary>True when a miss on any packet (a TCP ACK, a FIN) may create a flow: observe's <c>--learn all</c>.</summary>
    bool LearnsAnyPacket { get; }

    /// <summary>True when ICMP messages that are neither echo nor error may create flows (D16: observe does, NAT does not).</summary>
    bool LearnsOtherIcmp { get; }

    /// <summary>Decides on a missed packet; on <see cref="SlowPathVerdict.Created"/> the flow (pair) exists in the table.</summary>
    SlowPathVerdict OnMiss(in SlowPathRequest request);

    /// <summary>The pipeline saw the connection of <paramref name="key"/> close: the app removes the pair and frees what it holds.</summary>
    void OnConnectionClosed(FlowTableId table, in FlowKey key, ConnectionCloseReason reason);

    /// <summary>Called as the pipeline clock moves (at least once per aging tick): the app finds aged flows and removes them.</summary>
    /// <remarks><see cref="FlowPipeline"/> calls it once per <see cref="PipelineOptions.AgingTickMs"/> of packet time (and once
    /// after a clock jump, however long), right after sweeping the table, so idle entries are already marked aged.</remarks>
    void OnClock(long nowMs);
}
