namespace DashFlow.Cli;

/// <summary>The documented process exit codes: part of the CLI's API.</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Ok = 0;

    /// <summary>The command line could not be parsed or an argument is out of range.</summary>
    public const int Usage = 1;

    /// <summary>The command ran but a check or self-test failed.</summary>
    public const int CheckFailed = 2;

    /// <summary>The agent could not be reached (nothing listening, connection refused or reset).</summary>
    public const int AgentUnreachable = 3;

    /// <summary>The agent answered with a SAI error (the line printed names the SAI status).</summary>
    public const int SaiError = 4;

    /// <summary>The call did not complete within --timeout.</summary>
    public const int Timeout = 5;

    /// <summary>A local resource failed (a port in use, a file that cannot be written).</summary>
    public const int LocalError = 6;
}
