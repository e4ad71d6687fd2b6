using DashFlow.Api;
using DashFlow.Model;

namespace DashFlow.Dataplane.Apps.NatGateway;

/// <summary>SNAT for one VNET: its clients reach the internet from <paramref name="Eip"/>, on ports of the pool.</summary>
/// <param name="VnetId">The VNET id the pipeline gives the clients' packets (VNI → VNET).</param>
/// <param name="Eip">The elastic IP (IPv4); several VNETs may share one, and then share its pools.</param>
/// <param name="FirstPort">The pool's first port (also the first ICMP echo identifier).</param>
/// <param name="LastPort">The pool's last port.</param>
public sealed record SnatRule(ushort VnetId, IpAddress Eip, ushort FirstPort = 1024, ushort LastPort = 65535);

/// <summary>One server behind a DNAT listener.</summary>
public sealed record NatBackend(IpAddress Ip, ushort Port);

/// <summary>DNAT/load balancing: connections to <paramref name="Eip"/>:<paramref name="Port"/> go to one of the backends.</summary>
/// <param name="Eip">The public address clients connect to.</param>
/// <param name="Protocol">TCP (6) or UDP (17).</param>
/// <param name="Port">The public port.</param>
/// <param name="BackendVnetId">The VNET id the pipeline gives the backends' packets (their replies).</param>
/// <param name="Backends">The pool; the choice is a rendezvous hash of the client tuple.</param>
public sealed record DnatRule(IpAddress Eip, byte Protocol, ushort Port, ushort BackendVnetId, IReadOnlyList<NatBackend> Backends);

/// <summary>The configuration of a <see cref="NatGateway"/>.</summary>
public sealed record NatGatewayOptions
{
    /// <summary>The flow table the gateway owns (every key field but the ENI MAC must be enabled).</summary>
    public required FlowTableId Table { get; init; }

    /// <summary>The VNET id the pipeline gives packets from the internet side (untunnelled): never an SNAT or backend VNET.</summary>
    public ushort OutsideVnetId { get; init; }

    /// <summary>SNAT per VNET.</summary>
    public IReadOnlyList<SnatRule> Snat { get; init; } = [];

    /// <summary>DNAT listeners with their backend pools.</summary>
    public IReadOnlyList<DnatRule> Dnat { get; init; } = [];

    /// <summary>The aging tick: at most one aging pass (sweep, AGED bulk get, removals) per tick of the pipeline clock.</summary>
    public long AgingTickMs { get; init; } = 1000;

    /// <summary>True when the gateway sweeps its table's aging marks itself and paces its passes to one per
    /// <see cref="AgingTickMs"/>; false when the host sweeps right before each <see cref="NatGateway.OnClock"/> (as
    /// FlowPipeline does) and so paces the passes: then every call runs one.</summary>
    public bool SweepsAging { get; init; } = true;

    /// <summary>True: each aging pass waits for its bulk get session and removes at once (deterministic, replay and tests);
    /// false: the session runs in the background and its aged flows are removed at the next tick (live agents).</summary>
    public bool WaitsForAgingSession { get; init; } = true;

    /// <summary>True when the gateway registers the switch's bulk-get notification itself; false when the host owns it and
    /// forwards events to <see cref="NatGateway.OnBulkGetEvents"/>.</summary>
    public bool RegistersEventCallback { get; init; } = true;
}
