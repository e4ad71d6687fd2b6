using DashFlow.Dataplane.Packets;
using DashFlow.Model;

namespace DashFlow.Dataplane.Traffic;

/// <summary>
/// A seeded NAT-gateway workload: VNET clients open TCP, UDP and ICMP echo connections to internet hosts (SNAT), internet
/// clients open connections to public services (DNAT); TCP connections close with FIN/FIN or RST or stay idle, UDP and
/// ICMP never close (aging ends them). Frames are written into the caller's buffer with no allocation.
/// </summary>
/// <remarks>
/// Replies must reach the translated tuple, which only the gateway knows, so the generator observes what the pipeline
/// emitted for a connection's first packet (<see cref="Observe"/>) and builds every reply as the reverse of that packet.
/// A connection whose first packet was dropped gets no reply: it is counted unanswered and ends.
/// Scheduling: a new connection starts whenever its time (from <see cref="TrafficProfile.ConnectionsPerSecond"/>) has come;
/// otherwise the connection waiting longest sends its next packet (a FIFO of slots in fixed arrays).
/// </remarks>
public sealed class TrafficGenerator
{
    private static readonly Step[][] Scripts =
    [
        // TCP, closed by FIN/FIN
        [new(false, TcpFlags.Syn, 0), new(true, TcpFlags.Syn | TcpFlags.Ack, 0), new(false, TcpFlags.Ack, 0), new(false, TcpFlags.Psh | TcpFlags.Ack, 64),
         new(true, TcpFlags.Psh | TcpFlags.Ack, 256), new(false, TcpFlags.Fin | TcpFlags.Ack, 0), new(true, TcpFlags.Fin | TcpFlags.Ack, 0), new(false, TcpFlags.Ack, 0)],
        // TCP, closed by RST
        [new(false, TcpFlags.Syn, 0), new(true, TcpFlags.Syn | TcpFlags.Ack, 0), new(false, TcpFlags.Ack, 0), new(false, TcpFlags.Psh | TcpFlags.Ack, 64),
         new(true, TcpFlags.Psh | TcpFlags.Ack, 256), new(false, TcpFlags.Rst | TcpFlags.Ack, 0)],
        // TCP, left open and idle
        [new(false, TcpFlags.Syn, 0), new(true, TcpFlags.Syn | TcpFlags.Ack, 0), new(false, TcpFlags.Ack, 0), new(false, TcpFlags.Psh | TcpFlags.Ack, 64),
         new(true, TcpFlags.Psh | TcpFlags.Ack, 256)],
        // UDP request/response, twice
        [new(false, TcpFlags.None, 32), new(true, TcpFlags.None, 128), new(false, TcpFlags.None, 32), new(true, TcpFlags.None, 128)],
        // ICMP echo
        [new(false, TcpFlags.None, 32), new(true, TcpFlags.None, 32)],
    ];

    private readonly TrafficProfile _profile;
    private readonly Connection[] _connections;
    private readonly int[] _freeSlots;
    private readonly int[] _queue; // FIFO of slots waiting to send their next packet
    private readonly ushort[] _nextClientPort; // per VNET client, then per internet host
    private readonly int _vnetClients;
    private readonly long _packetIntervalNs;
    private readonly long _connectionIntervalNs;
    private SplitMix64 _random;
    private int _freeCount;
    private int _queueHead;
    private int _queueCount;
    private long _nowNs;
    private long _nextConnectionNs;
    private long _packets, _opened, _snat, _dnat, _finished, _unanswered;

    /// <summary>A generator for <paramref name="profile"/>.</summary>
    /// <exception cref="ArgumentException">The profile has no VNET and no service, or a rate is not positive.</exception>
    public TrafficGenerator(TrafficProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if ((profile.Vnets.Count == 0 && profile.Services.Count == 0) || profile.ConnectionsPerSecond <= 0 || profile.PacketsPerSecond <= 0
            || profile.MaxActiveConnections < 1 || profile.InternetHosts < 1)
        {
            throw new ArgumentException("traffic: the profile needs a VNET or a service, positive rates and sizes.", nameof(profile));
        }

        _profile = profile;
        _random = new SplitMix64(profile.Seed);
        _connections = new Connection[profile.MaxActiveConnections];
        _freeSlots = new int[profile.MaxActiveConnections];
        _queue = new int[profile.MaxActiveConnections];
        for (int i = 0; i < _freeSlots.Length; i++)
        {
            _freeSlots[i] = _freeSlots.Length - 1 - i;
        }

        _freeCount = _freeSlots.Length;
        _vnetClients = profile.Vnets.Sum(v => v.Clients);
        _nextClientPort = new ushort[_vnetClients + profile.InternetHosts];
        _packetIntervalNs = (long)(1e9 / profile.PacketsPerSecond);
        _connectionIntervalNs = (long)(1e9 / profile.ConnectionsPerSecond);
        _nowNs = profile.StartUs * 1000;
        _nextConnectionNs = _nowNs;
    }

    /// <summary>Packet time of the last frame, in microseconds.</summary>
    public long NowUs => _nowNs / 1000;

    /// <summary>What has been produced so far.</summary>
    public TrafficCounters Counters => new(_packets, _opened, _snat, _dnat, _finished, _unanswered);

    /// <summary>Writes the next frame into <paramref name="buffer"/> (2048 bytes is always enough).</summary>
    /// <returns>False when the buffer is too small (nothing is consumed).</returns>
    public bool TryNext(Span<byte> buffer, out TrafficPacket packet)
    {
        packet = default;
        if (buffer.Length < 2048)
        {
            return false;
        }

        while (true)
        {
            int slot;
            bool startsNew = _freeCount > 0 && (_nowNs >= _nextConnectionNs || _queueCount == 0);
            if (startsNew)
            {
                _nowNs = Math.Max(_nowNs, _nextConnectionNs);
                _nextConnectionNs += _connectionIntervalNs;
                slot = Open();
            }
            else if (_queueCount > 0)
            {
                slot = _queue[_queueHead];
                _queueHead = _queueHead + 1 == _queue.Length ? 0 : _queueHead + 1;
                _queueCount--;
            }
            else
            {
                return false; // cannot happen: with no connection in flight every slot is free
            }

            ref var c = ref _connections[slot];
            var step = Scripts[c.Script][c.Step];
            if (step.Reply && !c.Observed)
            {
                _unanswered++;
                Close(slot);
                continue;
            }

            int length = step.Reply ? WriteReply(buffer, ref c, step) : WriteRequest(buffer, ref c, step);
            bool isFirst = c.Step == 0;
            c.Step++;
            bool isLast = c.Step == Scripts[c.Script].Length;
            packet = new TrafficPacket(_nowNs / 1000, ((long)c.Generation << 32) | (uint)slot, step.Reply ? TrafficDirection.Reply : TrafficDirection.Request,
                c.Kind, c.Protocol, length, isFirst, isLast, c.ClientIp, c.ClientPort, c.ServerIp, c.ServerPort);
            if (isLast)
            {
                _finished++;
                Close(slot);
            }
            else
            {
                Enqueue(slot);
            }

            _packets++;
            _nowNs += _packetIntervalNs;
            return true;
        }
    }

    /// <summary>Records what the pipeline emitted for a connection's request (the translated tuple its replies go to);
    /// only the first observation counts. Frames that do not parse, and stale connection ids, are ignored.</summary>
    public void Observe(long connectionId, ReadOnlySpan<byte> emittedFrame)
    {
        int slot = (int)(uint)connectionId;
        if (slot >= _connections.Length)
        {
            return;
        }

        ref var c = ref _connections[slot];
        if (!c.InUse || c.Generation != (int)(connectionId >> 32) || c.Observed || PacketParser.Parse(emittedFrame, out var p) != DropReason.None)
        {
            return;
        }

        c.Observed = true;
        c.OutSrcIp = p.SrcIp;
        c.OutDstIp = p.DstIp;
        c.OutSrcPort = p.SrcPort;
        c.OutDstPort = p.DstPort;
    }

    private int Open()
    {
        int slot = _freeSlots[--_freeCount];
        ref var c = ref _connections[slot];
        int generation = c.Generation + 1;
        c = default;
        c.Generation = generation;
        c.InUse = true;
        _opened++;
        bool dnat = _profile.Services.Count > 0 && (_profile.Vnets.Count == 0 || _random.NextDouble() < _profile.DnatShare);
        if (dnat)
        {
            _dnat++;
            var service = _profile.Services[_random.Below(_profile.Services.Count)];
            int host = _random.Below(_profile.InternetHosts);
            c.Kind = TrafficKind.Dnat;
            c.Protocol = service.Protocol;
            c.ClientIp = InternetHost(host);
            c.ClientPort = NextPort(_vnetClients + host);
            c.ServerIp = service.Eip;
            c.ServerPort = service.Port;
            c.ReplyVni = service.BackendVni;
            c.ReplyHostPa = service.BackendHostPa;
        }
        else
        {
            _snat++;
            int client = _random.Below(_vnetClients);
            int vnetIndex = 0;
            while (client >= _profile.Vnets[vnetIndex].Clients)
            {
                client -= _profile.Vnets[vnetIndex].Clients;
                vnetIndex++;
            }

            var vnet = _profile.Vnets[vnetIndex];
            double kind = _random.NextDouble();
            c.Kind = TrafficKind.Snat;
            c.Protocol = kind < _profile.TcpShare ? IpProtocols.Tcp : kind < _profile.TcpShare + _profile.UdpShare ? IpProtocols.Udp : IpProtocols.Icmp;
            c.ClientIp = IpAddress.FromV4(vnet.FirstClient.V4 + (uint)client);
            c.ClientPort = NextPort(ClientIndex(vnetIndex, client));
            c.ServerIp = InternetHost(_random.Below(_profile.InternetHosts));
            c.ServerPort = c.Protocol switch
            {
                IpProtocols.Tcp => _random.Below(2) == 0 ? (ushort)443 : (ushort)80,
                IpProtocols.Udp => _random.Below(2) == 0 ? (ushort)53 : (ushort)123,
                _ => c.ClientPort, // ICMP echo: the identifier is both ports (D4)
            };
            c.RequestVni = vnet.Vni;
            c.RequestHostPa = vnet.HostPa;
        }

        c.Script = c.Protocol switch
        {
            IpProtocols.Tcp => _random.NextDouble() < _profile.IdleShare ? 2 : _random.NextDouble() < _profile.RstShare ? 1 : 0,
            IpProtocols.Udp => 3,
            _ => 4,
        };
        c.ClientSequence = (uint)_random.Next();
        c.ServerSequence = (uint)_random.Next();
        return slot;
    }

    private int WriteRequest(Span<byte> buffer, ref Connection c, Step step)
    {
        var spec = new FrameSpec
        {
            SrcMac = HostMac(c.ClientIp),
            DstMac = _profile.GatewayMac,
            SrcIp = c.ClientIp,
            DstIp = c.ServerIp,
            Protocol = c.Protocol,
            SrcPort = c.ClientPort,
            DstPort = c.ServerPort,
            TcpFlags = step.Flags,
            Sequence = c.Protocol == IpProtocols.Icmp ? (uint)c.Step : c.ClientSequence,
            Acknowledgement = (step.Flags & TcpFlags.Ack) != 0 ? c.ServerSequence : 0,
            IcmpType = 8,
            PayloadLength = step.Payload,
        };
        c.ClientSequence += (uint)step.Payload + ((step.Flags & (TcpFlags.Syn | TcpFlags.Fin)) != 0 ? 1u : 0u);
        return c.Kind == TrafficKind.Snat ? FrameWriter.WriteVxlan(buffer, in spec, Underlay(c.RequestVni, c.RequestHostPa)) : FrameWriter.Write(buffer, in spec);
    }

    private int WriteReply(Span<byte> buffer, ref Connection c, Step step)
    {
        // The reverse of what the gateway emitted: addresses and ports swapped (ICMP echo keeps its identifier).
        var spec = new FrameSpec
        {
            SrcMac = HostMac(c.OutDstIp),
            DstMac = _profile.GatewayMac,
            SrcIp = c.OutDstIp,
            DstIp = c.OutSrcIp,
            Protocol = c.Protocol,
            SrcPort = c.Protocol == IpProtocols.Icmp ? c.OutSrcPort : c.OutDstPort,
            DstPort = c.OutSrcPort,
            TcpFlags = step.Flags,
            Sequence = c.Protocol == IpProtocols.Icmp ? (uint)c.Step - 1 : c.ServerSequence,
            Acknowledgement = c.ClientSequence,
            IcmpType = 0,
            PayloadLength = step.Payload,
        };
        c.ServerSequence += (uint)step.Payload + ((step.Flags & (TcpFlags.Syn | TcpFlags.Fin)) != 0 ? 1u : 0u);
        return c.Kind == TrafficKind.Dnat ? FrameWriter.WriteVxlan(buffer, in spec, Underlay(c.ReplyVni, c.ReplyHostPa)) : FrameWriter.Write(buffer, in spec);
    }

    private UnderlayEncap Underlay(uint vni, IpAddress hostPa) =>
        new(vni, hostPa, _profile.GatewayVip, HostMac(hostPa), _profile.GatewayMac, DashEncapsulation.Vxlan);

    private static MacAddress HostMac(IpAddress ip) => new(0x02_00_00_00_00_00UL | ip.V4);

    private IpAddress InternetHost(int index) => IpAddress.FromV4(_profile.FirstInternetHost.V4 + (uint)index);

    private int ClientIndex(int vnetIndex, int client)
    {
        for (int i = 0; i < vnetIndex; i++)
        {
            client += _profile.Vnets[i].Clients;
        }

        return client;
    }

    /// <summary>Each client walks its own ports (10000..59999), so its concurrent connections never share a tuple.</summary>
    private ushort NextPort(int client)
    {
        ushort next = _nextClientPort[client];
        _nextClientPort[client] = (ushort)(next + 1 >= 50_000 ? 0 : next + 1);
        return (ushort)(10_000 + next);
    }

    private void Enqueue(int slot)
    {
        int tail = _queueHead + _queueCount;
        _queue[tail >= _queue.Length ? tail - _queue.Length : tail] = slot;
        _queueCount++;
    }

    private void Close(int slot)
    {
        _connections[slot].InUse = false;
        _freeSlots[_freeCount++] = slot;
    }

    private readonly record struct Step(bool Reply, TcpFlags Flags, int Payload);

    /// <summary>One connection in flight: its script position, original tuple and the translated tuple observed.</summary>
    private struct Connection
    {
        public int Generation;
        public bool InUse;
        public TrafficKind Kind;
        public byte Protocol;
        public int Script;
        public int Step;
        public IpAddress ClientIp, ServerIp;
        public ushort ClientPort, ServerPort;
        public uint RequestVni, ReplyVni;
        public IpAddress RequestHostPa, ReplyHostPa;
        public uint ClientSequence, ServerSequence;
        public bool Observed;
        public IpAddress OutSrcIp, OutDstIp;
        public ushort OutSrcPort, OutDstPort;
    }
}
