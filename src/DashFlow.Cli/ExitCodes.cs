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
}
