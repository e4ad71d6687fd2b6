using DashFlow.Api;
using DashFlow.Dataplane.Packets;
using DashFlow.Dataplane.Pipeline;
using DashFlow.Model;

namespace DashFlow.Dataplane.Apps.Observe;

/// <summary>
/// The observe app: learns every new conversation as a bidirectional flow pair with no actions (the engine creates the
/// reverse entry, D5), removes pairs the pipeline closes, and removes aged pairs on each clock tick, found with a bulk get
/// session on the AGED filter. It counts the connections it learned by protocol.
/// </summary>
public sealed class ObserveApp : ISlowPath, IDisposable
{
    private readonly FlowApi _api;
    private readonly AgedFlowCollector _aged;
    private readonly FlowTableId _table;

    /// <summary>Creates the app for <paramref name="table"/>.</summary>
    public ObserveApp(FlowApi api, FlowTableId table, ObserveLearnMode learn)
    {
        _api = api;
        _table = table;
        Learn = learn;
        _aged = new AgedFlowCollector(api, table);
        api.RegisterBulkGetSessionEventCallback(_aged.OnEvents); // one app per device in a replay: it owns the callback
    }

    /// <inheritdoc />
    public string Name => "observe";

    /// <summary>Which packets create connections.</summary>
    public ObserveLearnMode Learn { get; }

    /// <inheritdoc />
    public bool LearnsAnyPacket => Learn == ObserveLearnMode.All;

    /// <inheritdoc />
    public bool LearnsOtherIcmp => true;

    /// <summary>Connections learned, by IP protocol number.</summary>
    public IReadOnlyDictionary<byte, long> ConnectionsByProtocol => _byProtocol;

    /// <summary>Connections learned.</summary>
    public long ConnectionsLearned { get; private set; }

    /// <summary>Connections removed because the pipeline saw them close.</summary>
    public long ConnectionsClosed { get; private set; }

    /// <summary>Flow entries removed because they aged (a pair counts twice).</summary>
    public long FlowsRemovedByAging { get; private set; }

    /// <summary>Bulk get sessions run to find aged flows.</summary>
    public long AgingSessions => _aged.SessionsRun;

    private readonly Dictionary<byte, long> _byProtocol = [];

    /// <inheritdoc />
    public SlowPathVerdict OnMiss(in SlowPathRequest request)
    {
        var key = request.Key;
        var state = new FlowState
        {
            Direction = FlowDirection.Outbound,
            IsUnidirectional = false,
            ReverseKey = key.Reversed(),
            SyncState = FlowSyncState.FlowCreated,
        };
        var status = _api.CreateFlowEntry(new FlowEntryAddress(request.Table, key), in state);
        if (status != SaiStatus.Success)
        {
            return status is SaiStatus.TableFull or SaiStatus.NoMemory or SaiStatus.InsufficientResources ? SlowPathVerdict.Refused : SlowPathVerdict.Ignored;
        }

        ConnectionsLearned++;
        byte protocol = request.Packet.IpProtocol;
        _byProtocol[protocol] = _byProtocol.GetValueOrDefault(protocol) + 1;
        return SlowPathVerdict.Created;
    }

    /// <inheritdoc />
    public void OnConnectionClosed(FlowTableId table, in FlowKey key, ConnectionCloseReason reason)
    {
        if (_api.RemoveFlowEntry(new FlowEntryAddress(table, key)) == SaiStatus.Success)
        {
            ConnectionsClosed++;
        }
    }

    /// <inheritdoc />
    public void OnClock(long nowMs)
    {
        // The pipeline swept the table just before this call: no entry marked aged means no session is needed.
        if (!_api.TryGetTable(_table, out var table) || table.TtlMs == 0 || table.AgedCount == 0)
        {
            return;
        }

        // Only entries the sweep marked come back (a pair is marked only when both directions are idle, D6).
        foreach (ref readonly var key in _aged.Find(TimeSpan.FromSeconds(30)))
        {
            long before = table.Count;
            if (_api.RemoveFlowEntry(new FlowEntryAddress(_table, key)) == SaiStatus.Success)
            {
                FlowsRemovedByAging += before - table.Count;
            }
        }
    }

    /// <summary>Releases the aged-flow collector's filter and the callback.</summary>
    public void Dispose()
    {
        _api.RegisterBulkGetSessionEventCallback(null);
        _aged.Dispose();
    }

    /// <summary>The protocol's name in reports: tcp, udp, icmp, icmpv6, or the number.</summary>
    public static string ProtocolName(byte protocol) => protocol switch
    {
        IpProtocols.Tcp => "tcp",
        IpProtocols.Udp => "udp",
        IpProtocols.Icmp => "icmp",
        IpProtocols.IcmpV6 => "icmpv6",
        IpProtocols.Sctp => "sctp",
        _ => protocol.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
