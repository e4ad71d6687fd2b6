namespace DashFlow.Demo;

/// <summary>Where the demo is, in the order it goes through them.</summary>
public enum DemoPhase
{
    /// <summary>Starting the two agents and forming the HA pair.</summary>
    Starting,

    /// <summary>Traffic on the first active: flows learned, synced inline and aged.</summary>
    Learning,

    /// <summary>The active has been killed; the standby takes over.</summary>
    FailingOver,

    /// <summary>Traffic on the former standby, now standalone.</summary>
    CarryingOn,

    /// <summary>The failed agent is back and receives a bulk sync as the new standby.</summary>
    Recovering,

    /// <summary>Comparing both tables as <c>dashflow ha diff</c> does.</summary>
    Checking,

    /// <summary>Finished.</summary>
    Done,
}
