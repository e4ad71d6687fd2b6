namespace DashFlow.Ha.Roles;

/// <summary>The role an operator prefers for a node; it breaks election ties between equal terms.</summary>
public enum HaDesiredState
{
    /// <summary>No preference.</summary>
    None = 0,

    /// <summary>Prefer active.</summary>
    Active = 1,

    /// <summary>Prefer standby.</summary>
    Standby = 2,
}
