using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Pm.Config;

namespace Pm.FrontEnd.Cgi;

/// <summary>
/// The CGI/1.1 meta-variables of one HTTP request (RFC 3875 §4.1), plus what php-cgi and common FastCGI apps
/// expect from nginx and Apache: REQUEST_URI, SCRIPT_FILENAME, DOCUMENT_ROOT, REQUEST_SCHEME, REDIRECT_STATUS
/// (php's cgi.force_redirect), SERVER_SOFTWARE.
/// <para>
/// Withheld request headers: Content-Type and Content-Length (they are CONTENT_TYPE and CONTENT_LENGTH);
/// Authorization and Proxy-Authorization unless the app's -pass-header names them (RFC 3875 §4.1.18: the server
/// checks credentials, not every script); Proxy always (httpoxy: HTTP_PROXY would pass for the proxy setting of
/// the app's HTTP client). Repeated headers arrive joined with ", " ("; " for Cookie), one variable each.
/// </para>
/// <para>
/// As nginx's fastcgi_params give them (the README's table "CGI variables: Pm vs nginx" lists every difference and
/// why): DOCUMENT_URI, REQUEST_SCHEME, HTTPS=on on a TLS connection, SERVER_NAME from PmServerName (else the Host),
/// REMOTE_USER from a Basic Authorization header, but only for an app that is given that header (-pass-header
/// Authorization): to any other app the name would be a claim it cannot check. A variable Pm has no value for is
/// left out, where nginx sends it empty (RFC 3875 §4.1 holds the two equal).
/// </para>
/// <para>
/// A chunked request body has no length: the proxy reads it whole first (<see cref="Proxy.BufferedBody"/>) and passes
/// its length here, so CONTENT_LENGTH is set (php-cgi reads exactly CONTENT_LENGTH bytes, and without it sees no
/// POST data); Transfer-Encoding is then withheld, as the app gets the body de-chunked.
/// </para>
/// </summary>
public static class CgiEnvironment
{
    public const string ServerSoftware = "Pm";

    [ThreadStatic]
    private static (IPAddress? Address, string? Text) t_remote;

    [ThreadStatic]
    private static (IPAddress? Address, int Port, string? AddressText, string? PortText) t_local;

    [ThreadStatic]
    private static (string? Host, string Name) t_serverName;

    /// <summary>Fills <paramref name="variables"/> (cleared first) for <paramref name="context"/>'s request.</summary>
    /// <param name="serverName">PmServerName; null: the request's Host, or the local address.</param>
    /// <param name="bufferedLength">The length of a chunked body read whole (CONTENT_LENGTH); null when the body streams.</param>
    public static void Build(List<KeyValuePair<string, string>> variables, HttpContext context, in ScriptTarget script, RequestSettings settings,
        string? serverName = null, long? bufferedLength = null)
    {
        variables.Clear();
        var request = context.Request;
        var connection = context.Connection;

        Add(variables, "GATEWAY_INTERFACE", "CGI/1.1");
        Add(variables, "SERVER_SOFTWARE", ServerSoftware);
        Add(variables, "SERVER_PROTOCOL", request.Protocol);
        Add(variables, "REQUEST_METHOD", request.Method);
        Add(variables, "REQUEST_SCHEME", request.Scheme);
        if (request.IsHttps)
        {
            Add(variables, "HTTPS", "on");
        }

        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(target))
        {
            target = request.Path.Value + request.QueryString.Value;
        }

        Add(variables, "REQUEST_URI", target);
        Add(variables, "SCRIPT_NAME", script.ScriptName);
        Add(variables, "PATH_INFO", script.PathInfo);
        Add(variables, "DOCUMENT_URI", DocumentUri(request, script));
        if (script.DocumentRoot is { } root)
        {
            Add(variables, "DOCUMENT_ROOT", root);
            if (script.PathInfo.Length > 0)
            {
                Add(variables, "PATH_TRANSLATED", root + script.PathInfo);
            }
        }

        Add(variables, "SCRIPT_FILENAME", script.ScriptFilename);
        var query = request.QueryString.Value;
        Add(variables, "QUERY_STRING", string.IsNullOrEmpty(query) ? string.Empty : query[1..]);
        if (request.ContentType is { } contentType)
        {
            Add(variables, "CONTENT_TYPE", contentType);
        }

        if ((bufferedLength ?? request.ContentLength) is { } length)
        {
            Add(variables, "CONTENT_LENGTH", length.ToString(CultureInfo.InvariantCulture));
        }

        AddAddresses(variables, connection, request, serverName);
        Add(variables, "REDIRECT_STATUS", "200");
        AddHeaders(variables, request.Headers, settings.PassHeaders, dechunked: bufferedLength is not null);
    }

    /// <summary>
    /// nginx's $document_uri: the decoded path that names the script and its PATH_INFO (for a directory, its index
    /// file). The request's own path string when it is exactly that, so most requests allocate nothing for it.
    /// </summary>
    private static string DocumentUri(HttpRequest request, in ScriptTarget script)
    {
        if (script.PathInfo.Length == 0)
        {
            return script.ScriptName.Length == 0 ? "/" : script.ScriptName;
        }

        var path = request.Path.Value;
        if (path is not null && path.Length == script.ScriptName.Length + script.PathInfo.Length &&
            path.StartsWith(script.ScriptName, StringComparison.Ordinal) && path.EndsWith(script.PathInfo, StringComparison.Ordinal))
        {
            return path;
        }

        return script.ScriptName + script.PathInfo;
    }

    private static void AddAddresses(List<KeyValuePair<string, string>> variables, ConnectionInfo connection, HttpRequest request, string? serverName)
    {
        // Address texts are cached per thread: a web process mostly sees the same few peers and one local address.
        if (connection.RemoteIpAddress is { } remote)
        {
            var cached = t_remote;
            if (!remote.Equals(cached.Address))
            {
                cached = (remote, remote.ToString());
                t_remote = cached;
            }

            Add(variables, "REMOTE_ADDR", cached.Text!);
            Add(variables, "REMOTE_PORT", connection.RemotePort.ToString(CultureInfo.InvariantCulture));
        }

        var local = t_local;
        if (connection.LocalIpAddress is { } address && (!address.Equals(local.Address) || connection.LocalPort != local.Port))
        {
            local = (address, connection.LocalPort, address.ToString(), connection.LocalPort.ToString(CultureInfo.InvariantCulture));
            t_local = local;
        }

        if (local.Address is not null)
        {
            Add(variables, "SERVER_ADDR", local.AddressText!);
            Add(variables, "SERVER_PORT", local.PortText!);
        }

        if (serverName is not null)
        {
            Add(variables, "SERVER_NAME", serverName);
            return;
        }

        var hostHeader = request.Headers.Host.ToString();
        var name = t_serverName;
        if (!string.Equals(hostHeader, name.Host, StringComparison.Ordinal))
        {
            var host = request.Host;
            name = (hostHeader, host.HasValue ? host.Host : local.AddressText ?? "localhost");
            t_serverName = name;
        }

        Add(variables, "SERVER_NAME", name.Name);
    }

    private static void AddHeaders(List<KeyValuePair<string, string>> variables, IHeaderDictionary headers, IReadOnlyList<string> passHeaders, bool dechunked)
    {
        foreach (var header in headers)
        {
            var name = header.Key;
            if (IsWithheld(name, passHeaders) || CgiHeaderNames.VariableFor(name) is not { } variable ||
                (dechunked && string.Equals(name, "Transfer-Encoding", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            var values = header.Value;
            var value = values.Count == 1 ? values[0]! : string.Join(string.Equals(name, "Cookie", StringComparison.OrdinalIgnoreCase) ? "; " : ", ", values.ToArray());
            Add(variables, variable, value);
            if (variable == "HTTP_AUTHORIZATION" && BasicUser(value) is { } user)
            {
                // Only here, where the app is given the credentials and can check them (see the class comment).
                Add(variables, "REMOTE_USER", user);
            }
        }
    }

    /// <summary>
    /// The user name of a Basic Authorization value (RFC 7617: base64 of "user:password"), as nginx's $remote_user
    /// reads it; null for another scheme, bad base64 or no colon. Decoded as UTF-8, as RFC 7617 recommends.
    /// </summary>
    internal static string? BasicUser(string authorization)
    {
        const string Scheme = "Basic ";
        if (authorization.Length <= Scheme.Length || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var encoded = authorization.AsSpan(Scheme.Length).Trim();
        if (encoded.Length > 1024)
        {
            return null;
        }

        Span<byte> decoded = stackalloc byte[768];
        if (!Convert.TryFromBase64Chars(encoded, decoded, out var written))
        {
            return null;
        }

        var colon = decoded[..written].IndexOf((byte)':');
        return colon < 0 ? null : System.Text.Encoding.UTF8.GetString(decoded[..colon]);
    }

    private static bool IsWithheld(string name, IReadOnlyList<string> passHeaders)
    {
        if (string.Equals(name, "Content-Type", StringComparison.OrdinalIgnoreCase) ||
            string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase) ||
            string.Equals(name, "Proxy", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase) ||
            string.Equals(name, "Proxy-Authorization", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var passed in passHeaders)
            {
                if (string.Equals(passed, name, StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }
            }

            return true;
        }

        return false;
    }

    private static void Add(List<KeyValuePair<string, string>> variables, string name, string value) =>
        variables.Add(new KeyValuePair<string, string>(name, value));
}
