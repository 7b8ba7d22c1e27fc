namespace Pm.Config;

/// <summary>How the web processes talk to an app (mod_fastcgi's per-app request options, and Pm's request limits).</summary>
/// <param name="RequestTimeout">-request-timeout: a request running this long gets a 504 and its instance is killed; null = off.</param>
/// <param name="SlowLog">-slow-log: a request running this long gets its instance diagnosed into the log; null = off.</param>
public sealed record RequestSettings(
    TimeSpan AppConnTimeout,
    TimeSpan IdleTimeout,
    bool Flush,
    IReadOnlyList<string> PassHeaders,
    bool Nph,
    TimeSpan? RequestTimeout = null,
    TimeSpan? SlowLog = null)
{
    public static RequestSettings From(OptionValues o) => new(
        o.Seconds("appConnTimeout"), o.Seconds("idle-timeout"), o.Flag("flush"), o.All("pass-header"), o.Flag("nph"),
        Limit(o, "request-timeout"), Limit(o, "slow-log"));

    /// <summary>A PmDynamicRoot's own -request-timeout and -slow-log over FastCgiConfig's.</summary>
    public RequestSettings OverriddenBy(OptionValues root) => this with
    {
        RequestTimeout = root.Has("request-timeout") ? Limit(root, "request-timeout") : RequestTimeout,
        SlowLog = root.Has("slow-log") ? Limit(root, "slow-log") : SlowLog,
    };

    private static TimeSpan? Limit(OptionValues o, string name) =>
        o.Has(name) && o.Decimal(name) > 0 ? TimeSpan.FromSeconds(o.Decimal(name)) : null;
}
