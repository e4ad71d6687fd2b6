namespace DashFlow.Dataplane.Apps.NatGateway;

/// <summary>A snapshot of a gateway's counters.</summary>
/// <param name="ConnectionsCreated">Pairs created (SNAT and DNAT).</param>
/// <param name="SnatCreated">Pairs created by SNAT.</param>
/// <param name="DnatCreated">Pairs created by DNAT.</param>
/// <param name="RefusedNoRule">Refused: no SNAT rule for the VNET or no DNAT listener.</param>
/// <param name="RefusedNoBackend">Refused: the listener's pool is empty.</param>
/// <param name="RefusedPortExhausted">Refused: the EIP's port pool for the protocol is exhausted.</param>
/// <param name="RefusedCreateFailed">Refused: the pair's bulk create failed (the table was left unchanged).</param>
/// <param name="Ignored">Misses the gateway does not translate (IPv6, other protocols, ICMP other than echo request).</param>
/// <param name="PortsInUse">SNAT ports held now, over every EIP and protocol.</param>
/// <param name="PortsFreed">SNAT ports returned to their pools.</param>
/// <param name="AgedRemoved">Pairs removed because the AGED bulk get reported them.</param>
/// <param name="ClosedRemoved">Pairs removed because the pipeline saw their connection close.</param>
/// <param name="AgingPasses">Aging passes run (bulk get sessions finished and processed).</param>
/// <param name="PortsRecovered">Ports freed because their pair was gone without the gateway removing it (the table
/// reclaimed it when full, or another client removed it), found when a pool ran out.</param>
public readonly record struct NatGatewayCounters(
    long ConnectionsCreated,
    long SnatCreated,
    long DnatCreated,
    long RefusedNoRule,
    long RefusedNoBackend,
    long RefusedPortExhausted,
    long RefusedCreateFailed,
    long Ignored,
    long PortsInUse,
    long PortsFreed,
    long AgedRemoved,
    long ClosedRemoved,
    long AgingPasses,
    long PortsRecovered)
{
    /// <summary>Every refusal, whatever the reason.</summary>
    public long Refused => RefusedNoRule + RefusedNoBackend + RefusedPortExhausted + RefusedCreateFailed;
}
