namespace DashFlow.Ha.Roles;

/// <summary>The answer to a RequestVote (spec §3.11): what the asking node should become.</summary>
public enum HaVote
{
    /// <summary>No answer (the call failed).</summary>
    None = 0,

    /// <summary>The asker won: it becomes the active.</summary>
    BecomeActive = 1,

    /// <summary>The answerer won (or already decides): the asker becomes the standby.</summary>
    BecomeStandby = 2,

    /// <summary>The answerer is going away: the asker decides alone.</summary>
    BecomeStandalone = 3,

    /// <summary>The answerer is between states: ask again on the next tick.</summary>
    RetryLater = 4,
}
