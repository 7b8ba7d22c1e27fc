using System.Diagnostics;

namespace Pm.Tests.Fixtures;

/// <summary>Sends a real FastCGI request with libfcgi's cgi-fcgi (Debian libfcgi-bin), as a web server would.</summary>
public static class CgiFcgi
{
    public const string Program = "/usr/bin/cgi-fcgi";

    /// <summary>Runs one request against the socket (path or host:port) and returns the raw CGI response.</summary>
    public static async Task<string> RequestAsync(string address, IDictionary<string, string> cgiEnvironment, TimeSpan timeout, string? body = null)
    {
        var info = new ProcessStartInfo(Program, ["-bind", "-connect", address])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.Environment.Clear();
        foreach (var (k, v) in cgiEnvironment)
        {
            info.Environment[k] = v;
        }

        using var process = Process.Start(info)!;
        if (body is not null)
        {
            await process.StandardInput.WriteAsync(body);
        }

        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"cgi-fcgi got no answer from {address} within {timeout.TotalSeconds} s");
        }

        var stdout = await output;
        if (process.ExitCode != 0 && stdout.Length == 0)
        {
            throw new IOException($"cgi-fcgi exited {process.ExitCode}: {await error}");
        }

        return stdout;
    }

    public static Task<string> GetAsync(string address, string scriptName = "/", string query = "", TimeSpan? timeout = null, string? scriptFilename = null)
    {
        var env = new Dictionary<string, string>
        {
            ["REQUEST_METHOD"] = "GET",
            ["SCRIPT_NAME"] = scriptName,
            ["QUERY_STRING"] = query,
            ["SERVER_PROTOCOL"] = "HTTP/1.1",
            ["GATEWAY_INTERFACE"] = "CGI/1.1",
        };
        if (scriptFilename is not null)
        {
            env["SCRIPT_FILENAME"] = scriptFilename;
        }

        return RequestAsync(address, env, timeout ?? TimeSpan.FromSeconds(10));
    }
}
