using DashFlow.Api;
using DashFlow.Model;

namespace DashFlow.Dataplane.Pipeline;

/// <summary>How one pipeline is set up: its ENI, its table (the ENI's FLOW_TABLE_ID), VNET resolution, close and clock.</summary>
public sealed record PipelineOptions
{
    /// <summary>The flow table bound to the ENI (SAI_ENI_ATTR_FLOW_TABLE_ID).</summary>
    public required FlowTableId Table { get; init; }

    /// <summary>The ENI's MAC: the key's eni_mac for every packet (one ENI per pipeline).</summary>
    public MacAddress EniMac { get; init; }

    /// <summary>VNI → VNET id. A VNI not in the map uses <c>VNI &amp; 0xFFFF</c>; a packet without a tunnel uses <see cref="UntunnelledVnetId"/>.</summary>
    public IReadOnlyDictionary<uint, ushort>? VniToVnet { get; init; }

    /// <summary>The VNET id of packets without a tunnel (0 by default): the internet side of a NAT gateway
    /// (<c>NatGatewayOptions.OutsideVnetId</c>).</summary>
    public ushort UntunnelledVnetId { get; init; }

    /// <summary>When false the pipeline ignores FIN and RST: flows leave only by aging (<c>--teardown off</c>).</summary>
    public bool Teardown { get; init; } = true;

    /// <summary>How FIN and RST close a connection (D18).</summary>
    public TcpCloseMode TcpClose { get; init; } = TcpCloseMode.Both;

    /// <summary>Packet time between two aging ticks (sweep, then the slow path's OnClock): DPAPP's 1 s timer-wheel tick.</summary>
    public long AgingTickMs { get; init; } = 1000;
}
