namespace DashFlow.Dataplane.Pipeline;

/// <summary>How the pipeline tears a TCP connection down (D18).</summary>
public enum TcpCloseMode : byte
{
    /// <summary>SS-HA (the default): a FIN closes its direction; the pair goes once both directions sent FIN; RST at once.</summary>
    Both,

    /// <summary>The DASH reference (P4, DPAPP, <c>trafficTcpTest</c>): the pair goes on the first FIN or RST.</summary>
    FirstFin,
}
