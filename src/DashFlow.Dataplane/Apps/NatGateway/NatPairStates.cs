using DashFlow.Model;

namespace DashFlow.Dataplane.Apps.NatGateway;

/// <summary>
/// The states of a connection's two entries. Each names the other's key as its reverse key, and SNAT_PORT/DNAT_PORT read
/// their ports from it (the pipeline's binding rule): SNAT_PORT sets the source port to the reverse key's destination port,
/// DNAT_PORT the destination port to the reverse key's source port. Addresses come from the overlay SIP/DIP, all bits.
/// </summary>
public static class NatPairStates
{
    private static readonly IpAddress AllOnesV4 = IpAddress.FromV4(uint.MaxValue);

    /// <summary>SNAT forward (client → server, outbound): source becomes EIP:port, port = <paramref name="reply"/>'s destination port.</summary>
    public static FlowState SnatForward(IpAddress eip, in FlowKey reply) => Translate(FlowDirection.Outbound, FlowAction.Snat | FlowAction.SnatPort, in reply, sip: eip, dip: default);

    /// <summary>SNAT reverse (server → EIP:port, inbound): destination becomes the client, port = <paramref name="forward"/>'s source port.</summary>
    public static FlowState SnatReverse(IpAddress client, in FlowKey forward) => Translate(FlowDirection.Inbound, FlowAction.Dnat | FlowAction.DnatPort, in forward, sip: default, dip: client);

    /// <summary>DNAT forward (client → EIP:listener, inbound): destination becomes the backend, port = <paramref name="reply"/>'s source port.</summary>
    public static FlowState DnatForward(IpAddress backend, in FlowKey reply) => Translate(FlowDirection.Inbound, FlowAction.Dnat | FlowAction.DnatPort, in reply, sip: default, dip: backend);

    /// <summary>DNAT reverse (backend → client, outbound): source becomes EIP:listener, port = <paramref name="forward"/>'s destination port.</summary>
    public static FlowState DnatReverse(IpAddress eip, in FlowKey forward) => Translate(FlowDirection.Outbound, FlowAction.Snat | FlowAction.SnatPort, in forward, sip: eip, dip: default);

    private static FlowState Translate(FlowDirection direction, FlowAction actions, in FlowKey reverseKey, IpAddress sip, IpAddress dip) => new()
    {
        Direction = direction,
        Actions = actions,
        ReverseKey = reverseKey,
        Rewrite = new FlowRewrite
        {
            Overlay = new OverlayRewrite
            {
                Sip = sip,
                SipMask = sip.IsZero ? default : AllOnesV4,
                Dip = dip,
                DipMask = dip.IsZero ? default : AllOnesV4,
            },
        },
        SyncState = FlowSyncState.FlowCreated, // the active just created it; HA moves it to SYNCED on the peer's ack
    };
}
