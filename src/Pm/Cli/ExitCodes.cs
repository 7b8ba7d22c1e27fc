namespace Pm.Cli;

/// <summary>What pm's exit status means, for scripts and service managers.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int StartFailed = 1;
    public const int ConfigError = 2;
    public const int NotRunning = 3;
}
