namespace DashFlow.Sessions;

/// <summary>A bulk get session's life (SONiC's DASH_FLOW_SYNC_SESSION_STATE, plus cancelled).</summary>
public enum BulkGetSessionState
{
    /// <summary>Created; the background scan has not started yet.</summary>
    Created = 0,

    /// <summary>Scanning and delivering.</summary>
    InProgress = 1,

    /// <summary>Every matching entry (up to the limit) was delivered.</summary>
    Completed = 2,

    /// <summary>The receiver (GRPC sink) failed, or the session could not run.</summary>
    Failed = 3,

    /// <summary>Removed (or the device disposed) before it completed.</summary>
    Cancelled = 4,
}

/// <summary>A snapshot of a session's progress. Times are Unix milliseconds.</summary>
/// <param name="State">The current state.</param>
/// <param name="EntriesDelivered">Entries handed to the notification queue or the sink so far.</param>
/// <param name="RecordsScanned">Table records examined so far.</param>
/// <param name="CreationTimeMs">When the session was created.</param>
/// <param name="LastStateStartTimeMs">When the current state began.</param>
/// <param name="Error">Why the session failed, when it did.</param>
public readonly record struct BulkGetSessionStatus(
    BulkGetSessionState State,
    long EntriesDelivered,
    long RecordsScanned,
    long CreationTimeMs,
    long LastStateStartTimeMs,
    string? Error)
{
    /// <summary>True once the session completed, failed or was cancelled.</summary>
    public bool IsFinished => State >= BulkGetSessionState.Completed;
}
