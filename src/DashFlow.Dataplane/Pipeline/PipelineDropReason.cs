namespace DashFlow.Dataplane.Pipeline;

/// <summary>Why the pipeline dropped a packet that parsed (parse failures are counted by <see cref="Packets.DropReason"/>).</summary>
public enum PipelineDropReason : byte
{
    /// <summary>A TCP packet other than SYN missed the table (DASH TCP_NON_SYN_FLOW_MISS_DROP_PACKETS).</summary>
    TcpNonSynFlowMiss,

    /// <summary>A non-first fragment missed: it carries no ports, so it never creates a flow.</summary>
    NonFirstFragmentMiss,

    /// <summary>An ICMP error whose quoted flow is in the table in neither direction (errors never create flows, D4).</summary>
    IcmpErrorNoFlow,

    /// <summary>A miss on a packet the slow path does not learn from (an echo reply, other ICMP, other protocols).</summary>
    NotLearnable,

    /// <summary>The slow path chose not to create a flow.</summary>
    SlowPathIgnored,

    /// <summary>The slow path refused the connection (policy, exhausted resources).</summary>
    SlowPathRefused,

    /// <summary>The slow path said it created the flow, but the packet's key still misses.</summary>
    CreatedFlowMissing,

    /// <summary>An action could not be applied (an unusable underlay, an address family mismatch, NAT46/NAT64).</summary>
    ActionFailed,
}
