using DashFlow.Api;
using DashFlow.Dataplane.Apps.NatGateway;
using DashFlow.Dataplane.Pipeline;
using DashFlow.Dataplane.Traffic;
using DashFlow.Engine;
using DashFlow.Model;
using Gateway = DashFlow.Dataplane.Apps.NatGateway.NatGateway;

namespace DashFlow.Dataplane.Tests.NatGateway;

/// <summary>A device on a manual clock, one NAT table, a gateway on it and the real <see cref="FlowPipeline"/> in front,
/// set up as the replay sets them up: the pipeline sweeps at each aging tick (the gateway does not sweep again), and packets
/// without a tunnel get the gateway's outside VNET.</summary>
internal sealed class NatFixture : IDisposable
{
    public static readonly MacAddress Eni = MacAddress.Parse("00:cc:cc:cc:cc:cc");
    public static readonly IpAddress EipA = IpAddress.Parse("203.0.113.1");
    public static readonly IpAddress EipB = IpAddress.Parse("203.0.113.2");
    public static readonly IpAddress ServiceEip = IpAddress.Parse("203.0.113.10");
    public const ushort BackendVnet = 200;

    public static readonly NatBackend[] WebBackends =
        [new(IpAddress.Parse("10.2.0.1"), 8443), new(IpAddress.Parse("10.2.0.2"), 8443), new(IpAddress.Parse("10.2.0.3"), 8443), new(IpAddress.Parse("10.2.0.4"), 8443)];

    public static readonly NatBackend[] DnsBackends = [new(IpAddress.Parse("10.2.0.11"), 5353), new(IpAddress.Parse("10.2.0.12"), 5353)];

    public NatFixture(Func<FlowTableId, NatGatewayOptions>? options = null, uint capacity = 1 << 16, uint ttlMs = 5000)
    {
        Clock = FlowClock.Manual(1_000);
        Api = new FlowApi(new FlowApiOptions { Clock = Clock });
        Assert.Equal(SaiStatus.Success, Api.CreateFlowTable(out var table,
        [
            SaiAttribute.U32(FlowTableAttr.MaxFlowCount, capacity),
            SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, (int)FlowEnabledKey.All),
            SaiAttribute.U32(FlowTableAttr.FlowTtlInMilliseconds, ttlMs),
        ]));
        Table = table;
        Assert.True(Api.TryGetTable(table, out var engine));
        Engine = engine;
        Options = (options ?? DefaultOptions)(table) with { SweepsAging = false };
        try
        {
            Gateway = new Gateway(Api, Options);
        }
        catch
        {
            Api.Dispose(); // a refused configuration must not leak the table's native memory
            throw;
        }

        Pipeline = PipelineDriver.Create(output => new FlowPipeline(Api, Gateway, output, new PipelineOptions
        {
            Table = table,
            EniMac = Eni,
            UntunnelledVnetId = Options.OutsideVnetId,
            AgingTickMs = Options.AgingTickMs,
        }));
    }

    public FlowClock Clock { get; }

    public FlowApi Api { get; }

    public FlowTableId Table { get; }

    public FlowTable Engine { get; }

    public NatGatewayOptions Options { get; }

    public Gateway Gateway { get; }

    public PipelineDriver Pipeline { get; }

    /// <summary>Moves the clock to <paramref name="nowMs"/> and runs one aging tick of the pipeline (sweep, then the gateway's pass).</summary>
    public void AgingTick(long nowMs)
    {
        Clock.AdvanceTo(nowMs);
        Pipeline.Pipeline.RunAgingTick();
    }

    /// <summary>Three VNETs (101 and 102 share EIP A, 103 has EIP B), and two services on one EIP.</summary>
    public static NatGatewayOptions DefaultOptions(FlowTableId table) => new()
    {
        Table = table,
        Snat = [new SnatRule(101, EipA), new SnatRule(102, EipA), new SnatRule(103, EipB)],
        Dnat =
        [
            new DnatRule(ServiceEip, 6, 443, BackendVnet, WebBackends),
            new DnatRule(ServiceEip, 17, 53, BackendVnet, DnsBackends),
        ],
    };

    /// <summary>The traffic that matches <see cref="DefaultOptions"/>.</summary>
    public static TrafficProfile DefaultTraffic(ulong seed, int maxActive = 4096) => new()
    {
        Seed = seed,
        ConnectionsPerSecond = 20_000,
        PacketsPerSecond = 100_000,
        StartUs = 1_000_000,
        MaxActiveConnections = maxActive,
        Vnets =
        [
            new TrafficVnet(101, 101, IpAddress.Parse("10.1.0.1"), 700, IpAddress.Parse("100.64.0.1")),
            new TrafficVnet(102, 102, IpAddress.Parse("10.1.0.1"), 700, IpAddress.Parse("100.64.0.2")), // same CAs, other VNET
            new TrafficVnet(103, 103, IpAddress.Parse("10.3.0.1"), 700, IpAddress.Parse("100.64.0.3")),
        ],
        Services =
        [
            new TrafficService(ServiceEip, 6, 443, BackendVnet, IpAddress.Parse("100.64.1.1")),
            new TrafficService(ServiceEip, 17, 53, BackendVnet, IpAddress.Parse("100.64.1.1")),
        ],
    };

    /// <summary>A UDP frame from a VNET client (VXLAN with VNI = the VNET id), as the generator writes them.</summary>
    public static byte[] VnetUdp(ushort vnet, string client, ushort clientPort, string server, ushort serverPort) =>
        VnetFrame(vnet, new FrameSpec { SrcIp = IpAddress.Parse(client), DstIp = IpAddress.Parse(server), Protocol = 17, SrcPort = clientPort, DstPort = serverPort, PayloadLength = 16 });

    /// <summary>A TCP frame from a VNET client.</summary>
    public static byte[] VnetTcp(ushort vnet, string client, ushort clientPort, string server, ushort serverPort, Packets.TcpFlags flags) =>
        VnetFrame(vnet, new FrameSpec { SrcIp = IpAddress.Parse(client), DstIp = IpAddress.Parse(server), Protocol = 6, SrcPort = clientPort, DstPort = serverPort, TcpFlags = flags });

    /// <summary>A plain frame from the internet side.</summary>
    public static byte[] Internet(in FrameSpec spec)
    {
        var buffer = new byte[2048];
        int length = FrameWriter.Write(buffer, in spec);
        Assert.True(length > 0);
        return buffer[..length];
    }

    private static byte[] VnetFrame(ushort vnet, FrameSpec spec)
    {
        spec.SrcMac = MacAddress.Parse("02:00:00:00:00:01");
        spec.DstMac = Eni;
        var buffer = new byte[2048];
        var underlay = new UnderlayEncap(vnet, IpAddress.Parse("100.64.0.1"), IpAddress.Parse("172.16.1.100"), MacAddress.Parse("02:00:00:00:00:02"), Eni, DashEncapsulation.Vxlan);
        int length = FrameWriter.WriteVxlan(buffer, in spec, in underlay);
        Assert.True(length > 0);
        return buffer[..length];
    }

    public void Dispose()
    {
        Gateway.Dispose();
        Api.Dispose();
    }
}
