using DashFlow.Model;

namespace DashFlow.Dataplane.Traffic;

/// <summary>A VNET whose clients open connections to the internet (through SNAT), arriving over VXLAN.</summary>
/// <param name="VnetId">The VNET id (reported with each packet; the pipeline derives it from the VNI).</param>
/// <param name="Vni">The VXLAN VNI the clients' packets carry.</param>
/// <param name="FirstClient">The first client address; clients are consecutive addresses from it.</param>
/// <param name="Clients">The number of clients.</param>
/// <param name="HostPa">The underlay address of the clients' host (the VXLAN outer source).</param>
public sealed record TrafficVnet(ushort VnetId, uint Vni, IpAddress FirstClient, int Clients, IpAddress HostPa);

/// <summary>A public service (DNAT listener) internet clients connect to, and where its backends' replies come from.</summary>
/// <param name="Eip">The public address.</param>
/// <param name="Protocol">TCP or UDP.</param>
/// <param name="Port">The public port.</param>
/// <param name="BackendVni">The VXLAN VNI of the backends' VNET (their replies carry it).</param>
/// <param name="BackendHostPa">The underlay address of the backends' host.</param>
public sealed record TrafficService(IpAddress Eip, byte Protocol, ushort Port, uint BackendVni, IpAddress BackendHostPa);

/// <summary>What a <see cref="TrafficGenerator"/> produces: rates, the mix, and the address plan. Deterministic by seed.</summary>
public sealed record TrafficProfile
{
    /// <summary>The seed: the same profile always produces the same frames.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>New connections per second of packet time.</summary>
    public double ConnectionsPerSecond { get; init; } = 10_000;

    /// <summary>Packets per second of packet time (timestamps advance by its inverse).</summary>
    public double PacketsPerSecond { get; init; } = 100_000;

    /// <summary>The first packet's timestamp in microseconds.</summary>
    public long StartUs { get; init; }

    /// <summary>The VNETs whose clients go out through SNAT.</summary>
    public IReadOnlyList<TrafficVnet> Vnets { get; init; } = [];

    /// <summary>The services internet clients reach through DNAT.</summary>
    public IReadOnlyList<TrafficService> Services { get; init; } = [];

    /// <summary>The first internet host address (servers for SNAT, clients for DNAT).</summary>
    public IpAddress FirstInternetHost { get; init; } = IpAddress.Parse("198.18.0.1");

    /// <summary>The number of internet hosts.</summary>
    public int InternetHosts { get; init; } = 4096;

    /// <summary>The share of new connections that are DNAT (internet → service); the rest are SNAT.</summary>
    public double DnatShare { get; init; } = 0.3;

    /// <summary>The share of SNAT connections that are TCP (DNAT follows its service's protocol).</summary>
    public double TcpShare { get; init; } = 0.6;

    /// <summary>The share of SNAT connections that are UDP; the rest are ICMP echo.</summary>
    public double UdpShare { get; init; } = 0.3;

    /// <summary>The share of TCP connections that stay open and idle (never close: aging removes them).</summary>
    public double IdleShare { get; init; } = 0.1;

    /// <summary>The share of closing TCP connections that end with an RST rather than FIN/FIN.</summary>
    public double RstShare { get; init; } = 0.2;

    /// <summary>The gateway's MAC (the destination of every frame).</summary>
    public MacAddress GatewayMac { get; init; } = MacAddress.Parse("00:cc:cc:cc:cc:cc");

    /// <summary>The gateway's underlay address (the VXLAN outer destination).</summary>
    public IpAddress GatewayVip { get; init; } = IpAddress.Parse("172.16.1.100");

    /// <summary>The most connections in flight at once; new connections wait while it is reached.</summary>
    public int MaxActiveConnections { get; init; } = 65536;
}
