using DashFlow.Model;

namespace DashFlow.Dataplane.Traffic;

/// <summary>Which way a generated packet travels.</summary>
public enum TrafficDirection : byte
{
    /// <summary>From the side that opened the connection.</summary>
    Request,

    /// <summary>From the other side, addressed to the translated tuple the gateway emitted.</summary>
    Reply,
}

/// <summary>The kind of connection a packet belongs to.</summary>
public enum TrafficKind : byte
{
    /// <summary>A VNET client to an internet host.</summary>
    Snat,

    /// <summary>An internet client to a public service.</summary>
    Dnat,
}

/// <summary>One generated frame's facts: when, which connection, which way, and the connection's original tuple.</summary>
/// <param name="TimestampUs">Packet time in microseconds.</param>
/// <param name="ConnectionId">The connection (pass it to <see cref="TrafficGenerator.Observe"/>).</param>
/// <param name="Direction">Request or reply.</param>
/// <param name="Kind">SNAT or DNAT.</param>
/// <param name="Protocol">TCP, UDP or ICMP.</param>
/// <param name="Length">The frame's length in the caller's buffer.</param>
/// <param name="IsFirst">True for the connection's first packet (the one that creates the flows).</param>
/// <param name="IsLast">True for the connection's last packet (idle ones simply stop).</param>
/// <param name="ClientIp">The opener's address (before translation).</param>
/// <param name="ClientPort">The opener's port (ICMP: the identifier).</param>
/// <param name="ServerIp">The address the opener sent to (DNAT: the EIP).</param>
/// <param name="ServerPort">The port the opener sent to.</param>
public readonly record struct TrafficPacket(
    long TimestampUs,
    long ConnectionId,
    TrafficDirection Direction,
    TrafficKind Kind,
    byte Protocol,
    int Length,
    bool IsFirst,
    bool IsLast,
    IpAddress ClientIp,
    ushort ClientPort,
    IpAddress ServerIp,
    ushort ServerPort)
{
    /// <summary>The timestamp in milliseconds (the pipeline clock).</summary>
    public long TimestampMs => TimestampUs / 1000;
}

/// <summary>What a generator has produced so far.</summary>
/// <param name="Packets">Frames written.</param>
/// <param name="Connections">Connections opened.</param>
/// <param name="SnatConnections">Of which SNAT.</param>
/// <param name="DnatConnections">Of which DNAT.</param>
/// <param name="Finished">Connections whose script ran to its end (closed, or idle and left to age).</param>
/// <param name="Unanswered">Connections dropped because no translated packet was observed before a reply was due.</param>
public readonly record struct TrafficCounters(long Packets, long Connections, long SnatConnections, long DnatConnections, long Finished, long Unanswered);
