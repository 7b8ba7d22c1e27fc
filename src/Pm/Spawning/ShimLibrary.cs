namespace Pm.Spawning;

/// <summary>
/// Where libpm-shim.so (src/Shim/pm-shim.c) is: beside the pm executable, where the build and the native publish
/// put it; PM_SHIM names another one (or "off" for none). Without it the PM still runs every app, but cannot count an
/// instance's requests or tell it to take no more: -max-requests is then not enforced and retirements only drain.
/// </summary>
public static class ShimLibrary
{
    private static readonly Lazy<string?> Found = new(Find);

    /// <summary>The library's absolute path; null when there is none.</summary>
    public static string? Path => Found.Value;

    private static string? Find()
    {
        var named = System.Environment.GetEnvironmentVariable("PM_SHIM");
        if (string.Equals(named, "off", StringComparison.Ordinal))
        {
            return null;
        }

        var path = string.IsNullOrEmpty(named) ? System.IO.Path.Combine(AppContext.BaseDirectory, "libpm-shim.so") : System.IO.Path.GetFullPath(named);
        return File.Exists(path) ? path : null;
    }

    /// <summary>The app's environment with the shim preloaded (before any LD_PRELOAD it has) and its page's descriptor named.</summary>
    public static IReadOnlyList<string> Environment(IReadOnlyList<string> environment, string shim)
    {
        var result = new List<string>(environment.Count + 2);
        var preload = "LD_PRELOAD=" + shim;
        foreach (var variable in environment)
        {
            if (variable.StartsWith("LD_PRELOAD=", StringComparison.Ordinal))
            {
                preload += ":" + variable["LD_PRELOAD=".Length..];
            }
            else if (!variable.StartsWith("PM_SHIM_FD=", StringComparison.Ordinal))
            {
                result.Add(variable);
            }
        }

        result.Add(preload);
        result.Add("PM_SHIM_FD=" + InstancePage.ChildDescriptor.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return result;
    }
}
