using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using DashFlow.Api;
using DashFlow.Dataplane.Output;
using DashFlow.Dataplane.Packets;
using DashFlow.Engine;
using DashFlow.Model;

namespace DashFlow.Dataplane.Pipeline;

/// <summary>
/// The DASH data plane for one ENI (spec §4.1–4.4): parse, look the innermost key up in the ENI's flow table, apply the hit's
/// actions and emit; on a miss hand the packets DASH lets create flows to the slow path, and re-inject on Created. TCP close
/// follows D18; the clock follows packet time in replays and drives aging ticks.
/// </summary>
/// <remarks>
/// Single-threaded: one pipeline per ENI and thread. Nothing is allocated per packet on the hit path. A hit on a tunnelled
/// packet emits the inner frame (the tunnel terminates here), re-encapsulated only by ENCAP_U0/ENCAP_U1. Never throws on
/// packet content: every dropped frame is counted by reason in <see cref="Counters"/>.
/// </remarks>
public sealed class FlowPipeline
{
    // Room in front of the staged frame for U1 outside U0 (2 × (Ethernet + IPv6 + UDP + VXLAN) = 140 bytes).
    private const int Headroom = 256;
    private const FlowAction NatActions = FlowAction.Snat | FlowAction.Dnat | FlowAction.SnatPort | FlowAction.DnatPort;
    private const FlowAction FamilyActions = FlowAction.Nat46 | FlowAction.Nat64;
    private const FlowAction InnerRewrites = FlowAction.SetSmac | FlowAction.SetDmac | NatActions;

    private static readonly IpAddress s_fullV4Mask = IpAddress.FromV4(uint.MaxValue);
    private static readonly IpAddress s_fullV6Mask = IpAddress.FromV6(ulong.MaxValue, ulong.MaxValue);

    private readonly FlowTable _table;
    private readonly FlowTableId _tableId;
    private readonly ISlowPath _slowPath;
    private readonly IPacketOutput _output;
    private readonly PipelineOptions _options;
    private readonly MacAddress _eniMac;
    private readonly IReadOnlyDictionary<uint, ushort>? _vniToVnet;
    private readonly ushort _untunnelledVnet;
    private readonly FlowClock _clock;
    private readonly bool _packetClock;
    private readonly TcpCloseTracker _closing = new();
    private byte[] _buffer = new byte[Headroom + 16 * 1024];
    private ParsedPacket _staged; // the decapsulated inner frame, parsed again at its own offsets
    private readonly ParsedPacket[] _burstPackets = new ParsedPacket[MaxBurst];
    private readonly DropReason[] _burstDrops = new DropReason[MaxBurst];
    private readonly ushort[] _burstVnets = new ushort[MaxBurst];
    private readonly sbyte[] _burstSlots = new sbyte[MaxBurst];
    private readonly FlowKey[] _burstKeys = new FlowKey[MaxBurst];
    private readonly FlowHit[] _burstHits = new FlowHit[MaxBurst];
    private bool _clockStarted;
    private long _packetOriginMs;
    private long _clockOriginMs;
    private long _nextTickMs;

    /// <summary>Creates a pipeline over the ENI's table in <paramref name="api"/>.</summary>
    /// <exception cref="ArgumentException">The table does not exist.</exception>
    public FlowPipeline(FlowApi api, ISlowPath slowPath, IPacketOutput output, PipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(api);
        if (!api.TryGetTable(options.Table, out var table))
        {
            throw new ArgumentException($"Flow table 0x{options.Table.Value:x} does not exist.", nameof(options));
        }

        _table = table;
        _tableId = options.Table;
        _slowPath = slowPath;
        _output = output;
        _options = options;
        _eniMac = options.EniMac;
        _vniToVnet = options.VniToVnet;
        _untunnelledVnet = options.UntunnelledVnetId;
        _clock = table.Clock;
        _packetClock = _clock.IsManual;
    }

    /// <summary>The most frames <see cref="ProcessBurst"/> looks up in one batch (a DPDK burst).</summary>
    public const int MaxBurst = 32;

    /// <summary>What happened so far.</summary>
    public PipelineCounters Counters { get; } = new();

    /// <summary>The table the pipeline looks packets up in.</summary>
    public FlowTable Table => _table;

    /// <summary>The slow-path application.</summary>
    public ISlowPath SlowPath => _slowPath;

    /// <summary>Half-closed TCP connections being tracked (D18 default mode).</summary>
    public int HalfClosedConnections => _closing.Count;

    /// <summary>Processes one Ethernet frame captured at <paramref name="timestampNanoseconds"/>.</summary>
    /// <returns>True when a frame was emitted.</returns>
    public bool Process(ReadOnlySpan<byte> frame, long timestampNanoseconds)
    {
        Counters.Packets++;
        AdvanceClock(timestampNanoseconds);
        var drop = PacketParser.Parse(frame, out var packet);
        if (drop != DropReason.None)
        {
            Counters.Drop(drop);
            return false;
        }

        Counters.Parsed++;
        ushort vnet = ResolveVnet(in packet);
        if (packet.IsIcmpError)
        {
            return ProcessIcmpError(frame, ref packet, vnet, timestampNanoseconds);
        }

        var key = packet.ToFlowKey(_eniMac, vnet);
        if (_table.TryLookup(in key, out var hit))
        {
            Counters.Hits++;
            return OnHit(frame, ref packet, in key, in hit, FlowAction.All, timestampNanoseconds);
        }

        Counters.Misses++;
        return OnMiss(frame, ref packet, in key, timestampNanoseconds);
    }

    /// <summary>
    /// Processes a burst of frames exactly as <see cref="Process"/> would one after the other (same output frames, in the same
    /// order, same counters, same slow-path calls), but parses up to <see cref="MaxBurst"/> frames first and looks their keys
    /// up in one batched, prefetching <see cref="FlowTable.LookupBatch"/>. Frame i is
    /// <paramref name="buffer"/>[<paramref name="offsets"/>[i]..+<paramref name="lengths"/>[i]], captured at
    /// <paramref name="timestampsNanoseconds"/>[i].
    /// </summary>
    /// <returns>The number of frames emitted.</returns>
    /// <remarks>
    /// Why the batch cannot change the outcome: it covers only the frames that do not move the packet clock past the
    /// first one's millisecond, so no aging tick falls between them and a batched lookup refreshes an entry at the time a
    /// single lookup would; and after a frame that may change the table (a miss, a TCP FIN or RST, an ICMP error) the rest of
    /// the batch is looked up again one by one. With a wall clock the refresh stamps may be a moment earlier.
    /// </remarks>
    /// <exception cref="ArgumentException">The three spans differ in length.</exception>
    public int ProcessBurst(ReadOnlySpan<byte> buffer, ReadOnlySpan<int> offsets, ReadOnlySpan<int> lengths, ReadOnlySpan<long> timestampsNanoseconds)
    {
        if (offsets.Length != lengths.Length || offsets.Length != timestampsNanoseconds.Length)
        {
            ThrowBurstLengths();
        }

        int emitted = 0;
        for (int start = 0; start < offsets.Length; start += MaxBurst)
        {
            int n = Math.Min(MaxBurst, offsets.Length - start);
            emitted += ProcessBatch(buffer, offsets.Slice(start, n), lengths.Slice(start, n), timestampsNanoseconds.Slice(start, n));
        }

        return emitted;
    }

    private int ProcessBatch(ReadOnlySpan<byte> buffer, ReadOnlySpan<int> offsets, ReadOnlySpan<int> lengths, ReadOnlySpan<long> timestamps)
    {
        // Scratch kept by the pipeline (one thread), not stackalloc'd: zeroing ~6 KB per burst costs more than it is worth.
        Span<ParsedPacket> packets = _burstPackets;
        Span<DropReason> drops = _burstDrops;
        Span<ushort> vnets = _burstVnets;
        Span<sbyte> slots = _burstSlots; // packet i's key in keys, -1 when it has none (dropped, ICMP error)
        Span<FlowKey> keys = _burstKeys;
        Span<FlowHit> hits = _burstHits;
        int n = offsets.Length;

        // The first frame moves the clock (and may run an aging tick) before anything is looked up, as in Process.
        Counters.Packets++;
        AdvanceClock(timestamps[0]);
        int window = 1;
        long firstMs = timestamps[0] / 1_000_000;
        while (window < n && (!_packetClock || timestamps[window] / 1_000_000 <= firstMs))
        {
            window++; // these frames leave the clock where it is: no tick between them
        }

        int keyCount = 0;
        for (int i = 0; i < window; i++)
        {
            drops[i] = PacketParser.Parse(buffer.Slice(offsets[i], lengths[i]), out packets[i]);
            slots[i] = -1;
            if (drops[i] == DropReason.None)
            {
                vnets[i] = ResolveVnet(in packets[i]);
                if (!packets[i].IsIcmpError)
                {
                    keys[keyCount] = packets[i].ToFlowKey(_eniMac, vnets[i]);
                    slots[i] = (sbyte)keyCount++;
                }
            }
        }

        _table.LookupBatch(keys[..keyCount], hits);
        int emitted = 0;
        bool batchValid = true;
        for (int i = 0; i < window; i++)
        {
            var frame = buffer.Slice(offsets[i], lengths[i]);
            long timestamp = timestamps[i];
            if (i > 0)
            {
                Counters.Packets++; // inside the window AdvanceClock would be a no-op: the clock stays on the first frame's ms
            }

            if (drops[i] != DropReason.None)
            {
                Counters.Drop(drops[i]);
                continue;
            }

            Counters.Parsed++;
            ref ParsedPacket packet = ref packets[i];
            bool sent;
            if (slots[i] < 0)
            {
                sent = ProcessIcmpError(frame, ref packet, vnets[i], timestamp);
                batchValid = false;
            }
            else
            {
                ref readonly FlowKey key = ref keys[slots[i]];
                FlowHit hit = hits[slots[i]];
                if (batchValid ? hit.Found : _table.TryLookup(in key, out hit))
                {
                    Counters.Hits++;
                    sent = OnHit(frame, ref packet, in key, in hit, FlowAction.All, timestamp);
                    batchValid &= !(packet.IpProtocol == IpProtocols.Tcp && (packet.TcpFlags & (TcpFlags.Fin | TcpFlags.Rst)) != 0);
                }
                else
                {
                    Counters.Misses++;
                    sent = OnMiss(frame, ref packet, in key, timestamp);
                    batchValid = false;
                }
            }

            emitted += sent ? 1 : 0;
        }

        for (int i = window; i < n; i++)
        {
            emitted += Process(buffer.Slice(offsets[i], lengths[i]), timestamps[i]) ? 1 : 0; // a later millisecond: one by one
        }

        return emitted;
    }

    [DoesNotReturn]
    private static void ThrowBurstLengths() =>
        throw new ArgumentException("ProcessBurst: offsets, lengths and timestamps must have one entry per frame.");

    /// <summary>Counts a frame the pipeline cannot take (a capture of another link type) as a drop.</summary>
    public void Reject(DropReason reason, long timestampNanoseconds)
    {
        Counters.Packets++;
        AdvanceClock(timestampNanoseconds);
        Counters.Drop(reason);
    }

    /// <summary>One aging tick: sweeps the table (marks idle entries aged), then lets the slow path remove what aged.</summary>
    /// <remarks>Replays run it every <see cref="PipelineOptions.AgingTickMs"/> of packet time; call it at the end of a
    /// replay, or from a timer with a wall clock.</remarks>
    public void RunAgingTick()
    {
        long now = _clock.NowMs;
        _nextTickMs = now + Math.Max(1, _options.AgingTickMs);
        Counters.ClockTicks++;
        _table.SweepAgingFully();
        _slowPath.OnClock(now);
        if (_closing.Count > 0)
        {
            _closing.Prune(_table);
        }
    }

    private void AdvanceClock(long timestampNanoseconds)
    {
        if (!_packetClock)
        {
            return;
        }

        // Packet time is mapped onto the table clock from the first packet on, so a clock that already runs keeps running.
        long packetMs = timestampNanoseconds / 1_000_000;
        if (!_clockStarted)
        {
            _clockStarted = true;
            _packetOriginMs = packetMs;
            _clockOriginMs = _clock.NowMs;
            _nextTickMs = _clockOriginMs + Math.Max(1, _options.AgingTickMs);
        }

        _clock.AdvanceTo(_clockOriginMs + (packetMs - _packetOriginMs)); // never backwards: a step back keeps the latest time
        if (_clock.NowMs >= _nextTickMs)
        {
            RunAgingTick(); // once per jump, however long: the sweep ages everything a jump left idle
        }
    }

    private ushort ResolveVnet(in ParsedPacket packet)
    {
        if (packet.TunnelDepth == 0)
        {
            return _untunnelledVnet;
        }

        return _vniToVnet is not null && _vniToVnet.TryGetValue(packet.TunnelId, out ushort vnet) ? vnet : (ushort)(packet.TunnelId & 0xFFFF);
    }

    private bool ProcessIcmpError(ReadOnlySpan<byte> frame, ref ParsedPacket packet, ushort vnet, long timestamp)
    {
        if ((packet.Flags & PacketFlags.HasQuoted) != 0)
        {
            // The quote is in the offending packet's direction: the error travels on that flow's reverse, or the flow itself.
            var quoted = packet.Quoted.ToFlowKey(_eniMac, vnet);
            var flow = quoted.Reversed();
            bool found = _table.TryLookup(in flow, out var hit);
            if (!found && _table.TryLookup(in quoted, out hit))
            {
                (found, flow) = (true, quoted);
            }

            if (found)
            {
                Counters.Hits++;
                Counters.IcmpErrorHits++;
                // NAT is not applied: translating the quoted header inside the error is not implemented.
                return OnHit(frame, ref packet, in flow, in hit, ~NatActions, timestamp);
            }
        }

        Counters.Misses++;
        Counters.Drop(PipelineDropReason.IcmpErrorNoFlow);
        return false;
    }

    private bool OnMiss(ReadOnlySpan<byte> frame, ref ParsedPacket packet, in FlowKey key, long timestamp)
    {
        var refusal = Learnable(in packet);
        if (refusal is { } reason)
        {
            Counters.Drop(reason);
            return false;
        }

        var request = new SlowPathRequest(_tableId, in key, in packet, _clock.NowMs);
        switch (_slowPath.OnMiss(in request))
        {
            case SlowPathVerdict.Created:
                Counters.SlowPathCreated++;
                if (_table.TryLookup(in key, out var hit))
                {
                    Counters.Hits++;
                    return OnHit(frame, ref packet, in key, in hit, FlowAction.All, timestamp);
                }

                Counters.Drop(PipelineDropReason.CreatedFlowMissing);
                return false;
            case SlowPathVerdict.Refused:
                Counters.SlowPathRefused++;
                Counters.Drop(PipelineDropReason.SlowPathRefused);
                return false;
            default:
                Counters.SlowPathIgnored++;
                Counters.Drop(PipelineDropReason.SlowPathIgnored);
                return false;
        }
    }

    /// <summary>§4.2 for FLOW_MISS: null when the packet may go to the slow path, else why it is dropped.</summary>
    private PipelineDropReason? Learnable(in ParsedPacket packet)
    {
        if (packet.IsNonFirstFragment)
        {
            return PipelineDropReason.NonFirstFragmentMiss;
        }

        if (_slowPath.LearnsAnyPacket)
        {
            return null;
        }

        return packet.IpProtocol switch
        {
            IpProtocols.Tcp => packet.IsTcpSyn ? null : PipelineDropReason.TcpNonSynFlowMiss,
            IpProtocols.Udp => null,
            IpProtocols.Icmp or IpProtocols.IcmpV6 when packet.IsIcmpEchoRequest => null,
            IpProtocols.Icmp or IpProtocols.IcmpV6 when !packet.IsIcmpEcho && _slowPath.LearnsOtherIcmp => null,
            _ => PipelineDropReason.NotLearnable,
        };
    }

    private bool OnHit(ReadOnlySpan<byte> frame, ref ParsedPacket packet, in FlowKey key, in FlowHit hit, FlowAction allowed, long timestamp)
    {
        var actions = hit.Actions & allowed;
        FlowRewrite rewrite = default;
        FlowKey reverse = default;
        bool needsReverse = (actions & (FlowAction.SnatPort | FlowAction.DnatPort)) != 0
            || (_options.Teardown && packet.IpProtocol == IpProtocols.Tcp && (packet.TcpFlags & (TcpFlags.Fin | TcpFlags.Rst)) != 0);
        if ((actions != FlowAction.None && !_table.TryReadRewrite(in hit, out rewrite)) || (needsReverse && !_table.TryReadReverseKey(in hit, out reverse)))
        {
            return RetryHit(frame, ref packet, in key, allowed, timestamp);
        }

        if (!Emit(frame, ref packet, actions, in rewrite, in reverse, timestamp))
        {
            Counters.Drop(PipelineDropReason.ActionFailed);
            return false;
        }

        if (needsReverse && _options.Teardown && packet.IpProtocol == IpProtocols.Tcp && allowed == FlowAction.All)
        {
            TrackClose(in key, in reverse, packet.TcpFlags);
        }

        return true;
    }

    /// <summary>The entry changed between the lookup and the read (another thread's write): look it up again.</summary>
    private bool RetryHit(ReadOnlySpan<byte> frame, ref ParsedPacket packet, in FlowKey key, FlowAction allowed, long timestamp)
    {
        if (_table.TryLookup(in key, out var hit))
        {
            return OnHit(frame, ref packet, in key, in hit, allowed, timestamp);
        }

        Counters.Drop(PipelineDropReason.CreatedFlowMissing);
        return false;
    }

    private bool Emit(ReadOnlySpan<byte> frame, ref ParsedPacket packet, FlowAction actions, in FlowRewrite rewrite, in FlowKey reverse, long timestamp)
    {
        bool tunneled = packet.TunnelDepth > 0;
        if (actions == FlowAction.None && !tunneled)
        {
            _output.Write(timestamp, frame);
            Counters.Emitted++;
            return true;
        }

        if ((actions & FamilyActions) != 0)
        {
            return false;
        }

        int start = tunneled ? packet.InnerFrameOffset : 0;
        int end = tunneled ? InnerFrameEnd(in packet, frame.Length) : frame.Length;
        ReadOnlySpan<byte> output;
        uint entropy;
        if (tunneled && (actions & InnerRewrites) == 0)
        {
            // Nothing to rewrite in the inner frame (decapsulate, maybe re-encapsulate): neither staged nor parsed again.
            output = frame[start..end];
            entropy = packet.FlowHash();
        }
        else
        {
            var inner = Stage(frame[start..end]);
            ref ParsedPacket p = ref packet;
            if (tunneled)
            {
                if (PacketParser.Parse(inner, out _staged) != DropReason.None)
                {
                    return false;
                }

                p = ref _staged;
            }

            if (!Rewrite(inner, ref p, actions, in rewrite, in reverse))
            {
                return false;
            }

            output = inner;
            entropy = p.FlowHash();
        }

        bool u0 = (actions & FlowAction.EncapU0) != 0;
        bool u1 = (actions & FlowAction.EncapU1) != 0;
        if (u0 || u1)
        {
            int header = (u0 ? Encapsulation.HeaderLength(in rewrite.Underlay0) : 0) + (u1 ? Encapsulation.HeaderLength(in rewrite.Underlay1) : 0);
            if ((u0 && Encapsulation.HeaderLength(in rewrite.Underlay0) < 0) || (u1 && Encapsulation.HeaderLength(in rewrite.Underlay1) < 0))
            {
                return false;
            }

            if (_buffer.Length < Headroom + output.Length)
            {
                GrowBuffer(output.Length);
            }

            var destination = _buffer.AsSpan(Headroom - header, header + output.Length);
            ref readonly UnderlayEncap single = ref u0 ? ref rewrite.Underlay0 : ref rewrite.Underlay1;
            bool encapsulated = u0 && u1
                ? Encapsulation.TryEncapsulate(output, destination, in rewrite.Underlay0, in rewrite.Underlay1, entropy, out int written)
                : Encapsulation.TryEncapsulate(output, destination, in single, entropy, out written);
            if (!encapsulated)
            {
                return false;
            }

            output = destination[..written];
        }

        _output.Write(timestamp, output);
        Counters.Emitted++;
        return true;
    }

    /// <summary>MAC, address and port rewrites on the staged frame, in the P4 order (overlay first, then encapsulation).</summary>
    private bool Rewrite(Span<byte> frame, ref ParsedPacket p, FlowAction actions, in FlowRewrite rewrite, in FlowKey reverse)
    {
        // SAI has no overlay source MAC attribute: SET_SMAC writes the ENI's MAC, the address the VM's traffic leaves from.
        if ((actions & FlowAction.SetSmac) != 0 && !PacketRewriter.TrySetInnerSourceMac(frame, ref p, _eniMac))
        {
            return false;
        }

        if ((actions & FlowAction.SetDmac) != 0 && !PacketRewriter.TrySetInnerDestinationMac(frame, ref p, rewrite.Overlay.DstMac))
        {
            return false;
        }

        if ((actions & FlowAction.Snat) != 0 && !PacketRewriter.TryRewriteSourceIp(frame, ref p, rewrite.Overlay.Sip, MaskFor(rewrite.Overlay.SipMask, p.IsIpv6)))
        {
            return false;
        }

        if ((actions & FlowAction.Dnat) != 0 && !PacketRewriter.TryRewriteDestinationIp(frame, ref p, rewrite.Overlay.Dip, MaskFor(rewrite.Overlay.DipMask, p.IsIpv6)))
        {
            return false;
        }

        // Ports come from the reverse key (ISlowPath remarks): the translated packet is the reverse of the reverse key.
        if ((actions & FlowAction.SnatPort) != 0 && !PacketRewriter.TryRewriteSourcePort(frame, ref p, reverse.DstPort))
        {
            return false;
        }

        return (actions & FlowAction.DnatPort) == 0 || PacketRewriter.TryRewriteDestinationPort(frame, ref p, reverse.SrcPort);
    }

    /// <summary>An all-zero mask (the SAI default) would make SNAT/DNAT a no-op nobody asks for: it means the whole address.</summary>
    private static IpAddress MaskFor(IpAddress mask, bool v6) => mask.IsZero ? (v6 ? s_fullV6Mask : s_fullV4Mask) : mask;

    private void TrackClose(in FlowKey key, in FlowKey storedReverse, TcpFlags flags)
    {
        FlowKey masked = _table.MaskKey(in key);
        FlowKey reverse = _table.MaskKey(storedReverse.IpProtocol == 0 && storedReverse.SrcIp.IsZero ? key.Reversed() : storedReverse);
        if ((flags & TcpFlags.Rst) != 0 || _options.TcpClose == TcpCloseMode.FirstFin)
        {
            _closing.Forget(in masked, in reverse);
            Close(in key, (flags & TcpFlags.Rst) != 0 ? ConnectionCloseReason.TcpRst : ConnectionCloseReason.TcpFin);
        }
        else if ((flags & TcpFlags.Fin) != 0 && _closing.CloseDirection(in masked, in reverse))
        {
            Close(in key, ConnectionCloseReason.TcpFin);
        }
    }

    private void Close(in FlowKey key, ConnectionCloseReason reason)
    {
        long before = _table.Count;
        _slowPath.OnConnectionClosed(_tableId, in key, reason);
        Counters.ConnectionsClosed++;
        Counters.FlowsRemovedByTeardown += Math.Max(0, before - _table.Count);
    }

    /// <summary>Where the innermost frame ends: where the IP packet carrying its tunnel ends (or the capture does).</summary>
    private static int InnerFrameEnd(in ParsedPacket packet, int frameLength) =>
        Math.Min(frameLength, packet.TunnelDepth == 1 ? packet.Outer.L3End : packet.Inner.L3End);

    /// <summary>Copies a frame behind the headroom of the work buffer (grown, rarely, for jumbo frames).</summary>
    private Span<byte> Stage(ReadOnlySpan<byte> frame)
    {
        if (_buffer.Length < Headroom + frame.Length)
        {
            GrowBuffer(frame.Length);
        }

        var staged = _buffer.AsSpan(Headroom, frame.Length);
        frame.CopyTo(staged);
        return staged;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void GrowBuffer(int frameLength) => _buffer = new byte[Headroom + frameLength];
}
