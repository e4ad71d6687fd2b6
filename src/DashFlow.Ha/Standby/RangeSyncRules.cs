using DashFlow.Engine;
using DashFlow.Ha.Inline;
using DashFlow.Model;

namespace DashFlow.Ha.Standby;

/// <summary>The standby's range-sync delete (spec §4.8, adapted to application versions, D7).</summary>
public static class RangeSyncRules
{
    /// <summary>The op byte of a range-sync record that the standby inserts or updates (bulk rules).</summary>
    public const byte Upsert = (byte)SyncOp.Create;

    /// <summary>The op byte of a range-sync deletion.</summary>
    public const byte Delete = (byte)SyncOp.Delete;

    /// <summary>
    /// Removes the entry when it holds <paramref name="maxDeletedVersion"/> or a lower version: the active removed the flow
    /// during the outage, at that version at most. The spec deletes on an exact match of the HA-stamped version; DashFlow's
    /// versions are the application's, so the copy the standby held from before the outage may be any version the active
    /// removed since, and a newer one (a flow created again and replicated inline meanwhile) is kept.
    /// </summary>
    public static SyncResult DeleteAtOrBelow(FlowTable table, in FlowKey key, uint maxDeletedVersion)
    {
        if (table.Get(in key, out var held, out _) != SaiStatus.Success)
        {
            return SyncResult.Applied;
        }

        if (held.Version > maxDeletedVersion)
        {
            return SyncResult.IgnoredStaleVersion;
        }

        table.Remove(in key);
        return SyncResult.Applied;
    }
}
