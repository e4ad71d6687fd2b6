using System.Diagnostics;
using System.Globalization;
using DashFlow.Api;
using DashFlow.Dataplane.Apps.NatGateway;
using DashFlow.Dataplane.Output;
using DashFlow.Dataplane.Packets;
using DashFlow.Dataplane.Pipeline;
using DashFlow.Dataplane.Traffic;
using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Bench.Dataplane;

/// <summary>The figures of one data-plane run.</summary>
/// <param name="Flows">Flows pre-created for the hit path, and new connections offered to the NAT gateway.</param>
/// <param name="HitMpps">Hit-path packets per second (millions), one core, ENCAP_U0.</param>
/// <param name="HitAllocBytesPerPacket">Bytes allocated per hit-path packet.</param>
/// <param name="NatCps">NAT gateway new connections per second (slow path decision plus pair creation), one thread, in
/// steady state (the table and pools were filled and aged empty once before).</param>
/// <param name="NatAllocBytesPerConnection">Bytes allocated per new NAT connection in that steady state.</param>
/// <param name="NatAgedPairsPerSecond">Pairs one aging pass removes per second (sweep, AGED bulk get, removals, ports freed).</param>
/// <param name="HitPath">Which hit path ran: "pipeline" (<see cref="FlowPipeline.ProcessBurst"/>: parse, one batched lookup per
/// burst of 32, ENCAP_U0, emit).</param>
public sealed record DataplaneResult(int Flows, double HitMpps, double HitAllocBytesPerPacket, double NatCps, double NatAllocBytesPerConnection, double NatAgedPairsPerSecond, string HitPath)
{
    /// <summary>One JSON line.</summary>
    public string ToJson() => string.Create(CultureInfo.InvariantCulture,
        $"{{\"flows\":{Flows},\"hit_mpps\":{HitMpps:F2},\"hit_alloc_bytes_per_packet\":{HitAllocBytesPerPacket:F1},\"nat_cps\":{NatCps:F0},\"nat_alloc_bytes_per_connection\":{NatAllocBytesPerConnection:F1},\"nat_aged_pairs_s\":{NatAgedPairsPerSecond:F0},\"hit_path\":\"{HitPath}\"}}");
}

/// <summary>
/// <c>dashflow bench dataplane</c>. Hit path: N outbound flows with ENCAP_U0 (the DASH saidashflow.py case: VXLAN VNI 60
/// in, VXLAN VNI 100 out), a ring of prebuilt VXLAN frames over those flows replayed through the real pipeline's
/// <see cref="FlowPipeline.ProcessBurst"/> in bursts of 32 (parse, batched lookup, decapsulate, ENCAP_U0, emit to a counting
/// output). NAT: N new TCP connections from 32 VNETs (one EIP each) offered to the gateway's OnMiss, each a
/// rendezvous of rule lookup, port allocation and the pair's bulk create.
/// </summary>
public static class DataplaneBenchmark
{
    private const int RingFrames = 1 << 16;
    private const int NatVnets = 32;
    private static readonly MacAddress Eni = MacAddress.Parse("00:00:02:03:04:05");

    /// <summary>Runs both parts at one size.</summary>
    public static DataplaneResult Run(int flows)
    {
        Run(20_000, warmup: true); // tiered JIT promotes the hot paths before the measured run
        return Run(flows, warmup: false);
    }

    private static DataplaneResult Run(int flows, bool warmup)
    {
        var (mpps, allocPerPacket) = HitPath(flows, warmup ? 200_000 : 20_000_000);
        var (cps, allocPerConnection, aged) = NatConnections(flows, warmup ? 1 : 3);
        return new DataplaneResult(flows, mpps, allocPerPacket, cps, allocPerConnection, aged, "pipeline");
    }

    private static FlowApi NewDevice(uint maxFlows, uint ttlMs, out FlowTableId tableId, out FlowTable table)
    {
        var api = new FlowApi(new FlowApiOptions
        {
            Clock = FlowClock.Manual(),
            Capabilities = FlowCapabilities.Full with { MaxFlowEntryCount = uint.MaxValue },
        });
        if (api.CreateFlowTable(out tableId, [SaiAttribute.U32(FlowTableAttr.MaxFlowCount, maxFlows), SaiAttribute.S32(FlowTableAttr.DashFlowEnabledKey, (int)FlowEnabledKey.All),
                SaiAttribute.U32(FlowTableAttr.FlowTtlInMilliseconds, ttlMs)]) != SaiStatus.Success
            || !api.TryGetTable(tableId, out table))
        {
            throw new InvalidOperationException("dataplane benchmark: cannot create the table");
        }

        return api;
    }

    private static (double Mpps, double AllocPerPacket) HitPath(int flows, long packets)
    {
        using var api = NewDevice((uint)flows, 0, out var tableId, out var table);
        var underlay = new UnderlayEncap(100, IpAddress.Parse("172.16.1.1"), IpAddress.Parse("172.16.1.20"),
            MacAddress.Parse("00:cc:cc:cc:cc:cc"), MacAddress.Parse("00:dd:dd:dd:dd:dd"), DashEncapsulation.Vxlan);
        var state = new FlowState { Direction = FlowDirection.Outbound, Actions = FlowAction.EncapU0, IsUnidirectional = true, Rewrite = new FlowRewrite { Underlay0 = underlay } };
        for (int i = 0; i < flows; i++)
        {
            var key = HitKey(i);
            state.ReverseKey = key.Reversed();
            table.Create(in key, in state);
        }

        // The ring: frames of flows spread evenly over the table, each in its own slot of a flat buffer.
        const int Stride = 256;
        int ring = Math.Min(RingFrames, flows) & ~(FlowPipeline.MaxBurst - 1);
        var frames = GC.AllocateUninitializedArray<byte>(ring * Stride, pinned: true);
        var lengths = new int[ring];
        var offsets = new int[ring];
        var arrival = new UnderlayEncap(60, IpAddress.Parse("172.16.1.1"), IpAddress.Parse("172.16.1.100"),
            MacAddress.Parse("00:11:11:11:11:11"), Eni, DashEncapsulation.Vxlan);
        for (int i = 0; i < ring; i++)
        {
            var key = HitKey((int)((long)i * flows / ring));
            var spec = new FrameSpec
            {
                SrcMac = MacAddress.Parse("00:00:02:03:04:05"),
                DstMac = Eni,
                SrcIp = key.SrcIp,
                DstIp = key.DstIp,
                Protocol = IpProtocols.Udp,
                SrcPort = key.SrcPort,
                DstPort = key.DstPort,
                PayloadLength = 64
            };
            lengths[i] = FrameWriter.WriteVxlan(frames.AsSpan(i * Stride, Stride), in spec, in arrival);
            offsets[i] = i * Stride;
        }

        var output = new CountingPacketOutput();
        var pipeline = new FlowPipeline(api, new NoSlowPath(), output, new PipelineOptions { Table = tableId, EniMac = Eni });
        const int Burst = FlowPipeline.MaxBurst;
        var stamps = new long[Burst];
        Array.Fill(stamps, 1_700_000_000_000_000_000); // one packet-clock millisecond: no aging tick in the measurement
        int r = 0;
        packets -= packets % Burst;
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        for (long p = 0; p < packets; p += Burst)
        {
            pipeline.ProcessBurst(frames, offsets.AsSpan(r, Burst), lengths.AsSpan(r, Burst), stamps);
            r = r + Burst >= ring ? 0 : r + Burst;
        }

        double seconds = watch.Elapsed.TotalSeconds;
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        if (pipeline.Counters.Misses != 0 || output.Frames != packets || output.Bytes == 0)
        {
            throw new InvalidOperationException($"dataplane benchmark: {pipeline.Counters.Misses} hit-path misses, {output.Frames} of {packets} frames emitted");
        }

        return (packets / seconds / 1e6, (double)allocated / packets);
    }

    /// <summary>Flow i of the hit table: a VNET 60 client 10.x to a server, UDP.</summary>
    private static FlowKey HitKey(int i) => new(Eni, 60, IpProtocols.Udp, IpAddress.FromV4(0x0A00_0000u | (uint)(i >> 8)),
        IpAddress.FromV4(0xC612_0000u | (uint)(i & 0xFF)), (ushort)(1024 + (i % 50_000)), 443);

    private static (double Cps, double AllocPerConnection, double AgedPerSecond) NatConnections(int connections, int repeats)
    {
        double best = double.MaxValue;
        double allocPerConnection = 0;
        double agedPerSecond = 0;
        for (int repeat = 0; repeat < repeats; repeat++)
        {
            using var api = NewDevice((uint)(2 * connections + 1024), 30_000, out var tableId, out _);
            var snat = new SnatRule[NatVnets];
            for (int v = 0; v < NatVnets; v++)
            {
                snat[v] = new SnatRule((ushort)(101 + v), IpAddress.FromV4(0xCB00_7100u + (uint)v + 1));
            }

            using var gateway = new NatGateway(api, new NatGatewayOptions { Table = tableId, Snat = snat });
            var template = new byte[2048];
            var spec = new FrameSpec
            {
                SrcIp = IpAddress.Parse("10.1.0.1"),
                DstIp = IpAddress.Parse("198.18.0.1"),
                Protocol = IpProtocols.Tcp,
                SrcPort = 10000,
                DstPort = 443,
                TcpFlags = TcpFlags.Syn
            };
            int length = FrameWriter.Write(template, in spec);
            if (PacketParser.Parse(template.AsSpan(0, length), out var packet) != DropReason.None)
            {
                throw new InvalidOperationException("dataplane benchmark: the SYN template does not parse");
            }

            var baseKey = packet.ToFlowKey(Eni, 101);
            var watch = Stopwatch.StartNew();
            OpenConnections(gateway, tableId, baseKey, ref packet, connections, 0);

            // Every pair idle past the TTL: one aging pass (blocking mode) finds and removes them all.
            api.Clock.AdvanceTo(60_000);
            watch.Restart();
            gateway.OnClock(60_000);
            double agingSeconds = watch.Elapsed.TotalSeconds;
            if (gateway.Counters.AgedRemoved != connections || gateway.Counters.PortsInUse != 0)
            {
                throw new InvalidOperationException($"dataplane benchmark: aging left pairs or ports ({gateway.Counters})");
            }

            agedPerSecond = Math.Max(agedPerSecond, connections / agingSeconds);

            // The measured round: the steady state, on a table and pools that have been filled and emptied once.
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            watch.Restart();
            OpenConnections(gateway, tableId, baseKey, ref packet, connections, 60_000);
            double seconds = watch.Elapsed.TotalSeconds;
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            if (seconds < best)
            {
                best = seconds;
                allocPerConnection = (double)allocated / connections;
            }
        }

        return (connections / best, allocPerConnection, agedPerSecond);
    }

    /// <summary>Offers <paramref name="connections"/> new TCP connections: client i in VNET 101 + i % 32, address 10.x from
    /// i, a port from i, to one of 256 servers. Every one must be created.</summary>
    private static void OpenConnections(NatGateway gateway, FlowTableId tableId, FlowKey baseKey, ref ParsedPacket packet, int connections, long nowMs)
    {
        long created = 0;
        for (int i = 0; i < connections; i++)
        {
            var key = baseKey;
            key.VnetId = (ushort)(101 + (i % NatVnets));
            key.SetAddresses(IpAddress.FromV4(0x0A00_0000u | (uint)(i >> 6)), IpAddress.FromV4(0xC612_0000u | (uint)(i & 0xFF)));
            key.SrcPort = (ushort)(10000 + (i & 63));
            if (gateway.OnMiss(new SlowPathRequest(tableId, in key, ref packet, nowMs)) == SlowPathVerdict.Created)
            {
                created++;
            }
        }

        if (created != connections)
        {
            throw new InvalidOperationException($"dataplane benchmark: {connections - created} NAT connections refused ({gateway.Counters})");
        }
    }

    /// <summary>The hit path never misses; a miss would be a benchmark bug, counted and checked after the run.</summary>
    private sealed class NoSlowPath : ISlowPath
    {
        public string Name => "none";

        public bool LearnsAnyPacket => false;

        public bool LearnsOtherIcmp => false;

        public SlowPathVerdict OnMiss(in SlowPathRequest request) => SlowPathVerdict.Ignored;

        public void OnConnectionClosed(FlowTableId table, in FlowKey key, ConnectionCloseReason reason)
        {
        }

        public void OnClock(long nowMs)
        {
        }
    }
}
