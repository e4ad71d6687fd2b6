using DashFlow.Api;
using DashFlow.Dataplane.Apps.NatGateway;
using DashFlow.Dataplane.Packets;
using DashFlow.Model;

namespace DashFlow.Dataplane.Traffic;

/// <summary>A NAT gateway configuration and the traffic that exercises it, made to match (for the demo and replays).</summary>
/// <param name="Gateway">The gateway's options.</param>
/// <param name="Traffic">The generator's profile.</param>
public sealed record NatGatewayWorkload(NatGatewayOptions Gateway, TrafficProfile Traffic)
{
    /// <summary>The ENI MAC both sides' packets are keyed with (the gateway's MAC in the generated frames).</summary>
    public static readonly MacAddress EniMac = MacAddress.Parse("00:cc:cc:cc:cc:cc");

    /// <summary>
    /// <paramref name="vnets"/> VNETs (ids and VNIs 101, 102, …; EIPs 203.0.113.1, .2, …; 500 clients each) going out
    /// through SNAT, and two services on 203.0.113.100 (TCP 443 to four backends on 8443, UDP 53 to two on 5353) in
    /// backend VNET 200; internet side VNET 0.
    /// </summary>
    public static NatGatewayWorkload Create(FlowTableId table, ulong seed = 1, int vnets = 3, double connectionsPerSecond = 10_000, double packetsPerSecond = 60_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vnets, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vnets, 99);
        const ushort BackendVnet = 200;
        var serviceEip = IpAddress.Parse("203.0.113.100");
        var backendHost = IpAddress.Parse("100.64.1.1");
        var snat = new SnatRule[vnets];
        var trafficVnets = new TrafficVnet[vnets];
        for (int v = 0; v < vnets; v++)
        {
            ushort id = (ushort)(101 + v);
            snat[v] = new SnatRule(id, IpAddress.FromV4(IpAddress.Parse("203.0.113.1").V4 + (uint)v));
            trafficVnets[v] = new TrafficVnet(id, id, IpAddress.FromV4(IpAddress.Parse("10.1.0.1").V4 + ((uint)v << 12)), 500, IpAddress.FromV4(IpAddress.Parse("100.64.0.1").V4 + (uint)v));
        }

        NatBackend[] web = [.. Enumerable.Range(1, 4).Select(i => new NatBackend(IpAddress.FromV4(IpAddress.Parse("10.200.0.0").V4 + (uint)i), 8443))];
        NatBackend[] dns = [.. Enumerable.Range(11, 2).Select(i => new NatBackend(IpAddress.FromV4(IpAddress.Parse("10.200.0.0").V4 + (uint)i), 5353))];
        var gateway = new NatGatewayOptions
        {
            Table = table,
            OutsideVnetId = 0,
            Snat = snat,
            Dnat = [new DnatRule(serviceEip, IpProtocols.Tcp, 443, BackendVnet, web), new DnatRule(serviceEip, IpProtocols.Udp, 53, BackendVnet, dns)],
        };
        var traffic = new TrafficProfile
        {
            Seed = seed,
            ConnectionsPerSecond = connectionsPerSecond,
            PacketsPerSecond = packetsPerSecond,
            GatewayMac = EniMac,
            Vnets = trafficVnets,
            Services = [new TrafficService(serviceEip, IpProtocols.Tcp, 443, BackendVnet, backendHost), new TrafficService(serviceEip, IpProtocols.Udp, 53, BackendVnet, backendHost)],
        };
        return new NatGatewayWorkload(gateway, traffic);
    }
}
