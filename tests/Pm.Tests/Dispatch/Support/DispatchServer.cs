using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.Dispatch.Support;

/// <summary>
/// A real `pm serve` with the dispatcher on a Unix socket in the test directory (not the IPC dir, which is 0700, so a
/// web server in front can reach it), a dynamic root fcgi-bin/ holding the libfcgi test app as test.fcgi, and any
/// more config lines. Disposal stops the PM and checks that nothing it started is left.
/// </summary>
public sealed class DispatchServer : IAsyncDisposable
{
    private DispatchServer(FrontEndServer server, string socket, string root)
    {
        Server = server;
        Socket = socket;
        Root = root;
    }

    public FrontEndServer Server { get; }

    public PmProcess Pm => Server.Pm;

    /// <summary>The dispatcher's socket (PmFastCgiListen unix:...).</summary>
    public string Socket { get; }

    /// <summary>The dynamic root's directory.</summary>
    public string Root { get; }

    /// <summary>The dynamic app test.fcgi in the root.</summary>
    public string App => Path.Combine(Root, "test.fcgi");

    public static async Task<DispatchServer> StartAsync(TestDirectory dir, string more = "", string socketOptions = "", string fastCgiConfig = "-appConnTimeout 15")
    {
        var root = Directory.CreateDirectory(dir.File("fcgi-bin")).FullName;
        File.Copy(FrontEndApps.FcgiTest, Path.Combine(root, "test.fcgi"));
        var socket = dir.File("dispatch.sock");
        var server = await FrontEndServer.StartAsync(dir, $"""
            PmFastCgiListen unix:{socket} {socketOptions}
            FastCgiConfig {fastCgiConfig}
            PmDynamicRoot /fcgi-bin/ {root}
            {more}
            """);
        return new DispatchServer(server, socket, root);
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
