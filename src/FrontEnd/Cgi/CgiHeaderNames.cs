using System.Collections.Concurrent;

namespace Pm.FrontEnd.Cgi;

/// <summary>
/// HTTP request header names as CGI meta-variable names (RFC 3875 §4.1.18): "HTTP_" + upper case, '-' as '_'.
/// A name that is not a plain token of letters, digits and '-' gets no variable: with '_' allowed, "X_Real_IP"
/// would pass for "X-Real-IP" (nginx drops them too). Results are cached, up to a bound, so a hostile client
/// sending random names cannot grow the cache.
/// </summary>
public static class CgiHeaderNames
{
    private const int MaxCached = 1024;

    private static readonly ConcurrentDictionary<string, string?> Cache = new(StringComparer.Ordinal);

    /// <summary>"HTTP_X_FORWARDED_FOR" for "X-Forwarded-For"; null for a name that gets no variable.</summary>
    public static string? VariableFor(string headerName)
    {
        if (Cache.TryGetValue(headerName, out var cached))
        {
            return cached;
        }

        var variable = Convert(headerName);
        if (Cache.Count < MaxCached)
        {
            Cache.TryAdd(headerName, variable);
        }

        return variable;
    }

    private static string? Convert(string name)
    {
        if (name.Length == 0)
        {
            return null;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
            {
                return null;
            }
        }

        return string.Create(name.Length + 5, name, static (span, n) =>
        {
            "HTTP_".CopyTo(span);
            for (var i = 0; i < n.Length; i++)
            {
                var c = n[i];
                span[i + 5] = c == '-' ? '_' : char.ToUpperInvariant(c);
            }
        });
    }
}
