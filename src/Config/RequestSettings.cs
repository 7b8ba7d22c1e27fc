namespace Pm.Config;

/// <summary>How the web processes talk to an app (mod_fastcgi's per-app request options).</summary>
public sealed record RequestSettings(
    TimeSpan AppConnTimeout,
    TimeSpan IdleTimeout,
    bool Flush,
    IReadOnlyList<string> PassHeaders,
    bool Nph)
{
    public static RequestSettings From(OptionValues o) => new(
        o.Seconds("appConnTimeout"), o.Seconds("idle-timeout"), o.Flag("flush"), o.All("pass-header"), o.Flag("nph"));
}
