namespace DashFlow.Ha.Inline;

/// <summary>An inline sync operation (the DASH metadata header subtypes, spec §4.11).</summary>
public enum SyncOp : byte
{
    /// <summary>FLOW_CREATE.</summary>
    Create = 1,

    /// <summary>FLOW_UPDATE.</summary>
    Update = 2,

    /// <summary>FLOW_DELETE.</summary>
    Delete = 3,
}

/// <summary>What the standby did with one sync request (the ack's result, spec §3.11).</summary>
public enum SyncResult : byte
{
    /// <summary>Applied (or already so: a delete of an absent flow).</summary>
    Applied = 0,

    /// <summary>The standby holds a newer version (D7).</summary>
    IgnoredStaleVersion = 1,

    /// <summary>An update for a flow the standby does not hold.</summary>
    IgnoredUnknownFlow = 2,

    /// <summary>Could not be applied (table full, no such table, a record that does not decode).</summary>
    Failed = 3,
}
