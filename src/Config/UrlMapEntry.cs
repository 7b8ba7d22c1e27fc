namespace Pm.Config;

/// <summary>One URL prefix of `pm serve` and what answers there, as `pm check-config` prints it.</summary>
/// <param name="Prefix">The URL prefix.</param>
/// <param name="Target">"app PATH", "app PATH, scripts under DIR", or "dynamic DIR (.fcgi .fpl)" / "(every file)".</param>
/// <param name="Source">The line that gave it the URL (the app's or root's; for Apache lines, the app's or the Alias's).</param>
public sealed record UrlMapEntry(string Prefix, string Target, ConfigSource Source)
{
    public override string ToString() => $"{Prefix} -> {Target}";
}
