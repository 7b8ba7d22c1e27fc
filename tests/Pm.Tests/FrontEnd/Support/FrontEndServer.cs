using System.Net;
using System.Net.Sockets;
using Pm.Tests.Fixtures;

namespace Pm.Tests.FrontEnd.Support;

/// <summary>
/// A real `pm serve` with its web processes on a free local port, and an HttpClient for it (no redirects followed,
/// no cookies). Disposal stops the PM (which must exit 0) and checks that nothing the test started is left.
/// </summary>
public sealed class FrontEndServer : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private FrontEndServer(PmProcess pm, int port)
    {
        Pm = pm;
        Port = port;
        Client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, AutomaticDecompression = DecompressionMethods.None })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public PmProcess Pm { get; }

    public int Port { get; }

    public HttpClient Client { get; }

    /// <summary>Starts `pm serve` with <paramref name="apps"/> (config lines) and <paramref name="pmOptions"/> and waits until its web process serves.</summary>
    public static Task<FrontEndServer> StartAsync(TestDirectory dir, string apps, int webProcesses = 1, params string[] pmOptions) =>
        StartAsync(dir, apps, "", new Dictionary<string, string>(), webProcesses, pmOptions);

    /// <summary>As above, with <paramref name="listenOptions"/> after PmListen's address (-cert, -key, -http2).</summary>
    public static Task<FrontEndServer> StartAsync(TestDirectory dir, string apps, string listenOptions, int webProcesses = 1, params string[] pmOptions) =>
        StartAsync(dir, apps, listenOptions, new Dictionary<string, string>(), webProcesses, pmOptions);

    /// <summary>As <see cref="StartAsync(TestDirectory, string, int, string[])"/>, with these variables added to pm's environment (its web processes inherit them).</summary>
    public static Task<FrontEndServer> StartAsync(TestDirectory dir, string apps, IReadOnlyDictionary<string, string> environment, int webProcesses = 1, params string[] pmOptions) =>
        StartAsync(dir, apps, "", environment, webProcesses, pmOptions);

    private static async Task<FrontEndServer> StartAsync(TestDirectory dir, string apps, string listenOptions, IReadOnlyDictionary<string, string> environment, int webProcesses, string[] pmOptions)
    {
        var port = FreePort();
        var config = $"""
            FastCgiIpcDir {dir.IpcDir}
            PmListen 127.0.0.1:{port} {listenOptions}
            PmWebProcesses {webProcesses}
            {apps}
            """;
        var pm = await PmProcess.StartAsync(dir, config, environment, "serve", pmOptions);
        try
        {
            await pm.WaitForLineAsync(l => l.Contains("pm web ", StringComparison.Ordinal) && l.Contains(": serving ", StringComparison.Ordinal), Wait);
        }
        catch
        {
            await pm.DisposeAsync();
            throw;
        }

        return new FrontEndServer(pm, port);
    }

    /// <summary>A port nothing listens on now (bound and released: another process could take it, but none does here).</summary>
    public static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>The lines the web processes logged (the PM files them as "web[pid]: line").</summary>
    public IEnumerable<string> WebLines => Pm.Lines.Where(l => l.Contains(" web[", StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        try
        {
            if (!Pm.HasExited)
            {
                (await Pm.StopAsync(Wait)).Should().Be(0, "pm serve stops cleanly, its web processes too; its log:\n{0}", Pm.Output);
            }
        }
        finally
        {
            await Pm.DisposeAsync();
        }
    }
}
