namespace Pm.Hosting;

/// <summary>
/// What `pm` was asked to run: the PM alone (`run`) or with its web processes (`serve`), and whether to record
/// the requests the web processes report as a trace for `pm simulate`.
/// </summary>
public sealed record DaemonMode(bool ServeHttp, string? TraceFile = null)
{
    public static DaemonMode Run { get; } = new(false);

    public static DaemonMode Serve { get; } = new(true);
}
