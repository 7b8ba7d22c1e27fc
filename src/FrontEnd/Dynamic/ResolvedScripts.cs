using System.Collections.Concurrent;
using Pm.Config;

namespace Pm.FrontEnd.Dynamic;

/// <summary>
/// URL paths of dynamic roots already resolved to a script, for <see cref="Lifetime"/>: resolving walks the path
/// with a stat, a realpath and an access check per segment (about a dozen system calls, as much as the rest of the
/// request), and a busy app's URLs repeat. Only scripts found are kept, so a new script is served at once; one
/// removed or made unexecutable may still be tried for up to <see cref="Lifetime"/> (the PM checks every start
/// request against the same rules, so nothing outside the root is ever started). At most
/// <see cref="Capacity"/> paths (PATH_INFO makes every URL its own): when full, it starts over.
/// </summary>
public sealed class ResolvedScripts(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(1);

    public const int Capacity = 4096;

    // By URL path alone: the root of a path is its longest matching prefix, always the same one.
    private readonly ConcurrentDictionary<string, (DynamicScriptResolver.Result Result, long At)> _found = new(StringComparer.Ordinal);

    public DynamicScriptResolver.Result Resolve(DynamicRootConfig root, string urlPath)
    {
        var now = time.GetTimestamp();
        if (_found.TryGetValue(urlPath, out var entry) && time.GetElapsedTime(entry.At, now) < Lifetime)
        {
            return entry.Result;
        }

        var result = DynamicScriptResolver.Resolve(root, urlPath);
        if (result.Script is not null)
        {
            if (_found.Count >= Capacity)
            {
                _found.Clear();
            }

            _found[urlPath] = (result, now);
        }

        return result;
    }
}
