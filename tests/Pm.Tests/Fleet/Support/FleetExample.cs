using Pm.Tests.Fixtures;

namespace Pm.Tests.Fleet.Support;

/// <summary>
/// The files of examples/fleet, and the same files adapted to where a test runs them: the example's addresses
/// replaced by the test's, the app's path by the test's link to the built Hello app, an IPC dir of the test's. Only
/// those words change, and each must be found in the example (a replacement that finds nothing is an error), so what
/// the test runs is the example an operator copies.
/// </summary>
public static class FleetExample
{
    /// <summary>The example's addresses (host-a.conf's comment lists them).</summary>
    public const string HostA = "10.0.0.11";
    public const string HostB = "10.0.0.12";
    public const string ReportsHost = "10.0.0.21";

    /// <summary>The example's path of the Hello app, relative to examples/fleet (scripts/demo.sh publishes it there).</summary>
    public const string HelloPath = "../bin/hello/hello";

    public static string Directory => Path.Combine(Paths.RepoRoot, "examples", "fleet");

    public static string Read(string name) => File.ReadAllText(Path.Combine(Directory, name));

    /// <summary>Whether the pm under test knows PmStatusListen (its config reference lists it).</summary>
    public static async Task<bool> PmHasStatusListenAsync()
    {
        var (code, output) = await PmCommand.RunAsync(["config-reference"]);
        code.Should().Be(0, "pm config-reference prints the directive table: {0}", output);
        return output.Contains("PmStatusListen", StringComparison.Ordinal);
    }

    /// <summary>
    /// A host's config (host-a.conf or host-b.conf) with <paramref name="replacements"/> made, the Hello app at
    /// <paramref name="hello"/> and <c>FastCgiIpcDir <paramref name="ipcDir"/></c> first. Without
    /// <paramref name="statusListen"/> the PmStatusListen line is left out (a pm from before that directive).
    /// </summary>
    public static string HostConfig(string name, IReadOnlyDictionary<string, string> replacements, string hello, string ipcDir, bool statusListen)
    {
        var text = Replace(Read(name), name, new Dictionary<string, string>(replacements) { [HelloPath] = hello });
        var lines = text.Split('\n').Where(l => statusListen || !l.StartsWith("PmStatusListen ", StringComparison.Ordinal));
        return $"FastCgiIpcDir {ipcDir}\n{string.Join('\n', lines)}";
    }

    /// <summary>
    /// A whole nginx.conf for the test's nginx: its pid, logs and temp paths in <paramref name="directory"/>, and in
    /// its http block nginx-fleet.conf with <paramref name="replacements"/> made (as Debian's nginx.conf includes
    /// conf.d/*.conf there).
    /// </summary>
    public static string NginxConfig(string directory, IReadOnlyDictionary<string, string> replacements) => $$"""
        daemon off;
        master_process on;
        worker_processes 1;
        pid {{directory}}/nginx.pid;
        error_log {{directory}}/error.log info;
        events { worker_connections 256; }
        http {
            access_log {{directory}}/access.log;
            client_body_temp_path {{directory}}/client_body;
            proxy_temp_path {{directory}}/proxy_temp;
            fastcgi_temp_path {{directory}}/fastcgi_temp;
            uwsgi_temp_path {{directory}}/uwsgi_temp;
            scgi_temp_path {{directory}}/scgi_temp;
        {{Replace(Read("nginx-fleet.conf"), "nginx-fleet.conf", replacements)}}
        }
        """;

    private static string Replace(string text, string name, IReadOnlyDictionary<string, string> replacements)
    {
        foreach (var (from, to) in replacements)
        {
            text.Should().Contain(from, "examples/fleet/{0} is what the test adapts, and it has {1} in it", name, from);
            text = text.Replace(from, to, StringComparison.Ordinal);
        }

        return text;
    }
}
