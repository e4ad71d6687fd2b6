namespace DashFlow.Dataplane.Apps.NatGateway;

/// <summary>Why the gateway refused a new connection.</summary>
public enum NatRefusal : byte
{
    /// <summary>No SNAT rule for the VNET, or no DNAT listener for the address and port.</summary>
    NoRule,

    /// <summary>The DNAT listener has no backend.</summary>
    NoBackend,

    /// <summary>Every port of the EIP's pool for the protocol is in use.</summary>
    PortExhausted,

    /// <summary>The pair could not be created (table full, a key already present); the port went back to the pool.</summary>
    CreateFailed,
}
