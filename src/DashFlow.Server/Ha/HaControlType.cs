namespace DashFlow.Server.Ha;

/// <summary>HaControl.type (spec §3.11, plus HEARTBEAT).</summary>
internal enum HaControlType : uint
{
    RequestVote = 1,
    HaStateChanged = 2,
    BulkSyncStart = 3,
    BulkSyncCompleted = 4,
    BulkSyncCompletedAck = 5,
    PlannedSwitchover = 6,
    PlannedShutdown = 7,
    Heartbeat = 8,
}
