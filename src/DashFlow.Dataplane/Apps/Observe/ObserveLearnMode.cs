namespace DashFlow.Dataplane.Apps.Observe;

/// <summary>Which missed packets the observe app learns a connection from.</summary>
public enum ObserveLearnMode : byte
{
    /// <summary>Only what DASH lets create flows: TCP SYN, UDP, ICMP echo request (and other non-error ICMP, D16).</summary>
    Dash,

    /// <summary>Any packet, a mid-stream TCP ACK included: a capture that starts mid-connection is still seen whole.</summary>
    All,
}
