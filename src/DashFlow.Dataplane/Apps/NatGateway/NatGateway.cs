using DashFlow.Api;
using DashFlow.Dataplane.Packets;
using DashFlow.Dataplane.Pipeline;
using DashFlow.Engine;
using DashFlow.Model;
using DashFlow.Sessions;

namespace DashFlow.Dataplane.Apps.NatGateway;

/// <summary>
/// The NAT gateway app (the deck's Alibaba use case): SNAT per VNET from an EIP's port pool, and DNAT/load balancing of an
/// EIP:port to a backend pool. Each new connection becomes a linked forward/reverse pair created in one bulk call; the pair
/// goes when the pipeline sees the connection close, or when an aging pass (AGED bulk get) reports it, and its SNAT port
/// goes back to the pool.
/// </summary>
/// <remarks>
/// Every pair has exactly one key on the internet side (VNET <see cref="NatGatewayOptions.OutsideVnetId"/>): the SNAT
/// reply tuple (server → EIP:port, naming the port) or the DNAT request tuple (client → EIP:listener). The gateway removes
/// pairs through that key, so one removal frees one port exactly once. SNAT_PORT/DNAT_PORT take their ports from the
/// reverse key (see <see cref="ISlowPath"/>), so each reverse key is the translated packet's reply tuple.
/// Threading: <see cref="OnMiss"/>, <see cref="OnConnectionClosed"/> and <see cref="OnClock"/> run on the pipeline thread;
/// only <see cref="OnBulkGetEvents"/> runs on the notification thread, and it only collects keys.
/// </remarks>
public sealed class NatGateway : ISlowPath, IDisposable
{
    private const int ProtocolSlots = 3; // TCP, UDP, ICMP echo: one pool each per EIP
    private const ushort UnknownEni = ushort.MaxValue;

    private readonly FlowApi _api;
    private readonly FlowTable _table;
    private readonly NatGatewayOptions _options;
    private readonly ushort _outside;
    private readonly short[] _snatRuleByVnet = new short[65536];
    private readonly SnatTarget[] _snatTargets;
    private readonly Dictionary<IpAddress, int> _eipIndex = [];
    private readonly SnatPortPool[] _pools; // [eip * ProtocolSlots + slot]
    private readonly PortOwner[]?[] _owners; // per pool, per port: who holds it (allocated on the pool's first use)
    private readonly long[] _lastLeakCheckMs;
    private readonly List<MacAddress> _enis = []; // the ENI MACs seen, so a port's owner names its ENI in two bytes
    private readonly Dictionary<ListenerKey, DnatTarget> _listeners = [];
    private readonly AgedFlowCollector _aging;
    private readonly FlowEntryAddress[] _pairAddresses = new FlowEntryAddress[2];
    private readonly FlowState[] _pairStates = new FlowState[2];
    private readonly SaiStatus[] _pairStatuses = new SaiStatus[2];
    private long _lastAgingMs = long.MinValue;
    private Counts _counts;

    /// <summary>A gateway on <paramref name="api"/>'s table <see cref="NatGatewayOptions.Table"/>.</summary>
    /// <exception cref="ArgumentException">The table does not exist, does not match on every 5-tuple field and the VNET,
    /// or a rule is inconsistent (IPv6 EIP, a VNET that is the outside VNET, two rules for one VNET or listener, a DNAT
    /// listener that is not TCP or UDP, two port ranges for one EIP).</exception>
    public NatGateway(FlowApi api, NatGatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(options);
        _api = api;
        _options = options;
        _outside = options.OutsideVnetId;
        if (!api.TryGetTable(options.Table, out _table))
        {
            throw new ArgumentException($"nat-gateway: flow table {options.Table} does not exist.", nameof(options));
        }

        const FlowEnabledKey needed = FlowEnabledKey.Vni | FlowEnabledKey.Protocol | FlowEnabledKey.SrcIp | FlowEnabledKey.DstIp | FlowEnabledKey.SrcPort | FlowEnabledKey.DstPort;
        if ((_table.EnabledKey & needed) != needed)
        {
            throw new ArgumentException("nat-gateway: the table must match on the VNET and the whole 5-tuple.", nameof(options));
        }

        foreach (var rule in options.Dnat)
        {
            if (rule.Protocol is not (IpProtocols.Tcp or IpProtocols.Udp) || rule.Eip.IsV6 || rule.BackendVnetId == _outside
                || !_listeners.TryAdd(new ListenerKey(rule.Eip, rule.Protocol, rule.Port), new DnatTarget(rule, new RendezvousBackendChooser(rule.Backends))))
            {
                throw new ArgumentException($"nat-gateway: bad or duplicate DNAT rule {rule.Eip}/{rule.Protocol}:{rule.Port}.", nameof(options));
            }
        }

        Array.Fill(_snatRuleByVnet, (short)-1);
        var pools = new List<SnatPortPool>();
        _snatTargets = new SnatTarget[options.Snat.Count];
        for (int i = 0; i < options.Snat.Count; i++)
        {
            var rule = options.Snat[i];
            if (rule.Eip.IsV6 || rule.VnetId == _outside || _snatRuleByVnet[rule.VnetId] >= 0 || rule.LastPort < rule.FirstPort)
            {
                throw new ArgumentException($"nat-gateway: bad or duplicate SNAT rule for VNET {rule.VnetId}.", nameof(options));
            }

            if (!_eipIndex.TryGetValue(rule.Eip, out int eip))
            {
                eip = _eipIndex.Count;
                _eipIndex.Add(rule.Eip, eip);
                pools.Add(new SnatPortPool(rule.FirstPort, rule.LastPort, ListenerPorts(rule.Eip, IpProtocols.Tcp)));
                pools.Add(new SnatPortPool(rule.FirstPort, rule.LastPort, ListenerPorts(rule.Eip, IpProtocols.Udp)));
                pools.Add(new SnatPortPool(rule.FirstPort, rule.LastPort));
            }

            if (pools[eip * ProtocolSlots].First != rule.FirstPort || pools[eip * ProtocolSlots].Last != rule.LastPort)
            {
                throw new ArgumentException($"nat-gateway: VNETs sharing EIP {rule.Eip} must share its port range.", nameof(options));
            }

            _snatTargets[i] = new SnatTarget(rule.Eip, eip);
            _snatRuleByVnet[rule.VnetId] = (short)i;
        }

        _pools = [.. pools];
        _owners = new PortOwner[]?[_pools.Length];
        _lastLeakCheckMs = new long[_pools.Length];
        Array.Fill(_lastLeakCheckMs, long.MinValue);
        _aging = new AgedFlowCollector(api, options.Table, _outside);
        if (options.RegistersEventCallback)
        {
            api.RegisterBulkGetSessionEventCallback(OnBulkGetEvents);
        }
    }

    /// <summary>
    /// Takes over the connections already in the table (a standby's copy, after a failover): every SNAT pair's port is
    /// marked held, so the pools never hand out a port a synced connection still uses. Call it before the first packet.
    /// </summary>
    /// <returns>The number of ports marked held.</returns>
    public int AdoptExistingConnections()
    {
        var visitor = new HeldPortCollector(this);
        _table.ScanAll(ref visitor);

        int adopted = 0;
        for (int pool = 0; pool < _pools.Length; pool++)
        {
            if (visitor.Held[pool] is { } held)
            {
                adopted += _pools[pool].MarkHeld(held.Select(h => h.Port));
                var owners = _owners[pool] ??= new PortOwner[65536];
                foreach (var (port, owner) in held)
                {
                    owners[port] = owner;
                }
            }
        }

        return adopted;
    }

    /// <inheritdoc />
    public string Name => "nat-gateway";

    /// <inheritdoc />
    public bool LearnsAnyPacket => false;

    /// <inheritdoc />
    public bool LearnsOtherIcmp => false;

    /// <summary>The gateway's configuration.</summary>
    public NatGatewayOptions Options => _options;

    /// <summary>The table the gateway owns.</summary>
    public FlowTableId Table => _options.Table;

    /// <summary>A snapshot of the counters (read from any thread; values may be a moment apart).</summary>
    public NatGatewayCounters Counters
    {
        get
        {
            long inUse = 0;
            foreach (var pool in _pools)
            {
                inUse += pool.InUseCount;
            }

            var c = _counts;
            return new NatGatewayCounters(c.SnatCreated + c.DnatCreated, c.SnatCreated, c.DnatCreated, c.NoRule, c.NoBackend,
                c.PortExhausted, c.CreateFailed, c.Ignored, inUse, c.PortsFreed, c.AgedRemoved, c.ClosedRemoved, c.AgingPasses, c.PortsRecovered);
        }
    }

    /// <summary>The port pool of an EIP for a protocol (TCP, UDP, or ICMP for echo identifiers); null when the EIP has none.</summary>
    public SnatPortPool? PortPool(IpAddress eip, byte protocol)
    {
        int slot = ProtocolSlot(protocol);
        return slot >= 0 && _eipIndex.TryGetValue(eip, out int index) ? _pools[(index * ProtocolSlots) + slot] : null;
    }

    /// <summary>The backend a DNAT listener would choose for a client (the stable choice); false without a listener or backend.</summary>
    public bool TryChooseBackend(IpAddress eip, byte protocol, ushort port, IpAddress clientIp, ushort clientPort, out NatBackend backend)
    {
        backend = null!;
        return _listeners.TryGetValue(new ListenerKey(eip, protocol, port), out var target) && target.Chooser.TryChoose(clientIp, clientPort, protocol, out backend);
    }

    /// <summary>Why the last refused miss was refused (for reports and tests).</summary>
    public NatRefusal LastRefusal { get; private set; }

    /// <inheritdoc />
    public SlowPathVerdict OnMiss(in SlowPathRequest request)
    {
        FlowKey key = request.Key;
        byte protocol = key.IpProtocol;
        int slot = ProtocolSlot(protocol);
        if (request.Table != _options.Table || key.IsV6 || slot < 0 || (slot == 2 && !request.Packet.IsIcmpEchoRequest))
        {
            _counts.Ignored++;
            return SlowPathVerdict.Ignored;
        }

        return key.VnetId == _outside ? Dnat(in key, protocol) : Snat(in key, protocol, slot, request.NowMs);
    }

    /// <inheritdoc />
    public void OnConnectionClosed(FlowTableId table, in FlowKey key, ConnectionCloseReason reason)
    {
        if (table != _options.Table)
        {
            return;
        }

        FlowKey outside = key;
        if (key.VnetId != _outside)
        {
            // The inside entry names its partner, the internet-side entry, as its reverse key.
            if (_table.Get(in key, out var state, out _) != SaiStatus.Success)
            {
                return;
            }

            outside = state.ReverseKey;
        }

        if (RemovePair(in outside))
        {
            _counts.ClosedRemoved++;
        }
    }

    /// <inheritdoc />
    public void OnClock(long nowMs)
    {
        // A gateway that sweeps paces itself (a host may call often); one whose host sweeps (FlowPipeline, once per tick)
        // runs a pass at every call, so a host's extra tick (the end of a replay) is not lost to the pacing.
        if (_options.SweepsAging && _lastAgingMs != long.MinValue && nowMs - _lastAgingMs < _options.AgingTickMs)
        {
            return;
        }

        _lastAgingMs = nowMs;
        if (_aging.IsRunning)
        {
            if (!_aging.IsFinished)
            {
                return; // background mode: the last pass is still reading; its keys are taken at a later tick
            }

            RemoveAged(_aging.TakeFinished());
        }

        if (_options.SweepsAging)
        {
            _table.SweepAgingFully();
        }

        if (_table.AgedCount == 0 || !_aging.TryStart())
        {
            return; // nothing marked: no session, so an idle gateway costs one counter read per tick
        }

        if (_options.WaitsForAgingSession)
        {
            if (_aging.WaitFinished(TimeSpan.FromSeconds(60)))
            {
                RemoveAged(_aging.TakeFinished());
            }
        }
    }

    /// <summary>The switch's bulk-get notification; a host that owns the callback forwards every event here (others are ignored).</summary>
    public void OnBulkGetEvents(BulkGetSessionId sessionId, ReadOnlySpan<BulkGetSessionEventData> events) => _aging.OnEvents(sessionId, events);

    /// <summary>Unregisters the notification (when it registered it) and removes the gateway's filter and session.</summary>
    public void Dispose()
    {
        if (_options.RegistersEventCallback)
        {
            _api.RegisterBulkGetSessionEventCallback(null);
        }

        _aging.Dispose();
    }

    private SlowPathVerdict Snat(in FlowKey key, byte protocol, int slot, long nowMs)
    {
        int rule = _snatRuleByVnet[key.VnetId];
        if (rule < 0)
        {
            return Refuse(NatRefusal.NoRule);
        }

        var target = _snatTargets[rule];
        int poolIndex = (target.EipIndex * ProtocolSlots) + slot;
        var pool = _pools[poolIndex];
        if (!pool.TryAllocate(out ushort port) && (RecoverLeakedPorts(poolIndex, target.Eip, protocol, nowMs) == 0 || !pool.TryAllocate(out port)))
        {
            return Refuse(NatRefusal.PortExhausted);
        }

        (_owners[poolIndex] ??= new PortOwner[65536])[port] = new PortOwner(key.DstIp.V4, key.DstPort, EniIndex(key.EniMac));

        // The reply tuple of the translated packet: server → EIP:port (ICMP echo: the identifier is both ports, D4).
        var reply = new FlowKey(key.EniMac, _outside, protocol, key.DstIp, target.Eip, slot == 2 ? port : key.DstPort, port);
        _pairStates[0] = NatPairStates.SnatForward(target.Eip, in reply);
        _pairStates[1] = NatPairStates.SnatReverse(key.SrcIp, in key);
        if (!TryCreatePair(in key, in reply))
        {
            pool.Free(port);
            return Refuse(NatRefusal.CreateFailed);
        }

        _counts.SnatCreated++;
        return SlowPathVerdict.Created;
    }

    private SlowPathVerdict Dnat(in FlowKey key, byte protocol)
    {
        if (!_listeners.TryGetValue(new ListenerKey(key.DstIp, protocol, key.DstPort), out var target))
        {
            return Refuse(NatRefusal.NoRule);
        }

        if (!target.Chooser.TryChoose(key.SrcIp, key.SrcPort, protocol, out var backend))
        {
            return Refuse(NatRefusal.NoBackend);
        }

        // The backend's reply: backend:port → client, in the backend's VNET.
        var reply = new FlowKey(key.EniMac, target.Rule.BackendVnetId, protocol, backend.Ip, key.SrcIp, backend.Port, key.SrcPort);
        _pairStates[0] = NatPairStates.DnatForward(backend.Ip, in reply);
        _pairStates[1] = NatPairStates.DnatReverse(key.DstIp, in key);
        if (!TryCreatePair(in key, in reply))
        {
            return Refuse(NatRefusal.CreateFailed);
        }

        _counts.DnatCreated++;
        return SlowPathVerdict.Created;
    }

    /// <summary>Creates forward and reverse in one STOP_ON_ERROR bulk call; on failure the table is as it was.</summary>
    private bool TryCreatePair(in FlowKey forward, in FlowKey reverse)
    {
        _pairAddresses[0] = new FlowEntryAddress(_options.Table, forward);
        _pairAddresses[1] = new FlowEntryAddress(_options.Table, reverse);
        if (_api.CreateFlowEntries(_pairAddresses, _pairStates, BulkErrorMode.StopOnError, _pairStatuses) == SaiStatus.Success)
        {
            return true;
        }

        if (_pairStatuses[0] == SaiStatus.Success)
        {
            // The forward exists but the reverse was refused: removing the forward also removes the implicit reverse it
            // made (D5), and leaves alone an entry of someone else that held the reverse key (it does not name the forward).
            _api.RemoveFlowEntry(in _pairAddresses[0]);
        }

        return false;
    }

    /// <summary>Removes a pair through its internet-side key and frees its SNAT port; false when it was already gone.</summary>
    private bool RemovePair(in FlowKey outside)
    {
        if (_api.RemoveFlowEntry(new FlowEntryAddress(_options.Table, outside)) != SaiStatus.Success)
        {
            return false;
        }

        int slot = ProtocolSlot(outside.IpProtocol);
        if (slot >= 0 && !_listeners.ContainsKey(new ListenerKey(outside.DstIp, outside.IpProtocol, outside.DstPort))
            && _eipIndex.TryGetValue(outside.DstIp, out int eip) && _pools[(eip * ProtocolSlots) + slot].Free(outside.DstPort))
        {
            _counts.PortsFreed++;
        }

        return true;
    }

    /// <summary>
    /// Frees the ports of a pool whose pairs are gone without the gateway removing them: an insert into a full table
    /// reclaims aged entries itself (D6), and someone else may remove entries through the Flow API. Runs only when the pool
    /// is exhausted, at most once per aging tick, so a pool that is really full costs one scan per tick, not per miss.
    /// </summary>
    private int RecoverLeakedPorts(int poolIndex, IpAddress eip, byte protocol, long nowMs)
    {
        var owners = _owners[poolIndex];
        if (owners is null || (_lastLeakCheckMs[poolIndex] != long.MinValue && nowMs - _lastLeakCheckMs[poolIndex] < _options.AgingTickMs))
        {
            return 0;
        }

        _lastLeakCheckMs[poolIndex] = nowMs;
        var pool = _pools[poolIndex];
        int recovered = 0;
        for (int port = pool.First; port <= pool.Last; port++)
        {
            if (!pool.IsInUse((ushort)port))
            {
                continue;
            }

            ref readonly var owner = ref owners[port];
            if (owner.Eni == UnknownEni)
            {
                continue;
            }

            ushort remotePort = protocol == IpProtocols.Icmp ? (ushort)port : owner.ServerPort;
            var outside = new FlowKey(_enis[owner.Eni], _outside, protocol, IpAddress.FromV4(owner.ServerIp), eip, remotePort, (ushort)port);
            if (!_table.Contains(in outside) && pool.Free((ushort)port))
            {
                recovered++;
            }
        }

        _counts.PortsRecovered += recovered;
        return recovered;
    }

    private ushort EniIndex(MacAddress eni)
    {
        // A gateway serves one ENI or a few: a linear search beats a dictionary here.
        for (int i = 0; i < _enis.Count; i++)
        {
            if (_enis[i] == eni)
            {
                return (ushort)i;
            }
        }

        if (_enis.Count == UnknownEni)
        {
            return UnknownEni; // past 65535 ENIs the port is not recoverable, and recovery leaves it alone
        }

        _enis.Add(eni);
        return (ushort)(_enis.Count - 1);
    }

    private void RemoveAged(ReadOnlySpan<FlowKey> aged)
    {
        foreach (ref readonly var key in aged)
        {
            // The internet-side entry stands for the pair; the collector returns only entries the sweep marked (both idle).
            if (key.VnetId == _outside && RemovePair(in key))
            {
                _counts.AgedRemoved++;
            }
        }

        _counts.AgingPasses++;
    }

    private SlowPathVerdict Refuse(NatRefusal reason)
    {
        LastRefusal = reason;
        switch (reason)
        {
            case NatRefusal.NoRule: _counts.NoRule++; break;
            case NatRefusal.NoBackend: _counts.NoBackend++; break;
            case NatRefusal.PortExhausted: _counts.PortExhausted++; break;
            default: _counts.CreateFailed++; break;
        }

        return SlowPathVerdict.Refused;
    }

    private IEnumerable<ushort> ListenerPorts(IpAddress eip, byte protocol) =>
        _listeners.Keys.Where(k => k.Eip == eip && k.Protocol == protocol).Select(k => k.Port);

    private static int ProtocolSlot(byte protocol) => protocol switch
    {
        IpProtocols.Tcp => 0,
        IpProtocols.Udp => 1,
        IpProtocols.Icmp => 2,
        _ => -1,
    };

    /// <summary>Collects the SNAT ports the table's internet-side reply entries (server → EIP:port) hold, per pool.</summary>
    private readonly struct HeldPortCollector(NatGateway gateway) : IFlowScanVisitor
    {
        public List<(ushort Port, PortOwner Owner)>?[] Held { get; } = new List<(ushort, PortOwner)>?[gateway._pools.Length];

        public bool NeedsState => false;

        public bool Accept(in FlowEntryView view) => view.Key.VnetId == gateway._outside;

        public bool Visit(in FlowEntryView view, in FlowState state, ReadOnlySpan<byte> vendorMetadata)
        {
            ref readonly var key = ref view.Key;
            int slot = ProtocolSlot(key.IpProtocol);
            if (slot >= 0 && gateway._eipIndex.TryGetValue(key.DstIp, out int eip)
                && !gateway._listeners.ContainsKey(new ListenerKey(key.DstIp, key.IpProtocol, key.DstPort)))
            {
                int pool = (eip * ProtocolSlots) + slot;
                (Held[pool] ??= []).Add((key.DstPort, new PortOwner(key.SrcIp.V4, key.SrcPort, gateway.EniIndex(key.EniMac))));
            }

            return true;
        }
    }

    private readonly record struct ListenerKey(IpAddress Eip, byte Protocol, ushort Port);

    private sealed record DnatTarget(DnatRule Rule, RendezvousBackendChooser Chooser);

    private readonly record struct SnatTarget(IpAddress Eip, int EipIndex);

    /// <summary>What rebuilds a held port's internet-side key: the server it talks to and the ENI (8 bytes a port).</summary>
    private readonly record struct PortOwner(uint ServerIp, ushort ServerPort, ushort Eni);

    /// <summary>The counters, written by the pipeline thread only.</summary>
    private struct Counts
    {
        public long SnatCreated, DnatCreated, NoRule, NoBackend, PortExhausted, CreateFailed, Ignored, PortsFreed, AgedRemoved, ClosedRemoved, AgingPasses, PortsRecovered;
    }
}
