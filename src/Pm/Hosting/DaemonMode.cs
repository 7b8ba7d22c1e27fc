namespace Pm.Hosting;

/// <summary>What `pm` was asked to run: the PM alone (`run`), or the PM with its web processes (`serve`).</summary>
public sealed record DaemonMode(bool ServeHttp)
{
    public static DaemonMode Run { get; } = new(false);

    public static DaemonMode Serve { get; } = new(true);
}
