using Pm.Posix;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Supervision;

/// <summary>-user/-group, -priority, -listen-queue-depth and -port take effect on the real instances.</summary>
[Collection(RealProcesses.Name)]
public sealed class AppOptionsTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [RootFact("to switch an instance to another user", Timeout = 60_000)]
    public async Task UserGroupAndPriority_ApplyToTheInstance()
    {
        using var dir = new TestDirectory();
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1ED);
        var app = dir.Write("whoami.sh", "#!/bin/sh\necho \"uid $(id -u) gid $(id -g)\"\nexec sleep 600\n");
        File.SetUnixFileMode(app, (UnixFileMode)0x1ED);
        var nobody = UserDatabase.FindUser("nobody")!;
        var nogroup = UserDatabase.FindGroup("nogroup")!;
        await using var pm = await PmProcess.StartAsync(dir, $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {app} -user nobody -group nogroup -priority 7
            """);

        await pm.WaitForLineAsync(l => l.Contains($"]: uid {nobody.Uid} gid {nogroup.Gid}", StringComparison.Ordinal), Wait);
        var pid = (await pm.StatusAsync()).Apps.Single().Instances.Single().Pid;
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        fields[16].Should().Be("7", "field 19 of /proc/PID/stat is the nice value");
        (await pm.StopAsync(Wait)).Should().Be(0);
    }

    [Fact(Timeout = 60_000)]
    public async Task ListenQueueDepth_IsTheSocketsBacklog_AndPortListensOnTcp()
    {
        using var dir = new TestDirectory();
        var hello = dir.Link("hello", NativeApps.HelloC);
        var port = Pm.Tests.FrontEnd.Support.FrontEndServer.FreePort();
        await using var pm = await PmProcess.StartAsync(dir, $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {hello} -socket hello -listen-queue-depth 37
            FastCgiServer {dir.Link("hello-tcp", NativeApps.HelloC)} -port {port}
            """);

        var socket = Path.Combine(dir.IpcDir, "hello");
        // The kernel knows the socket by the name it was bound to before the PM renamed it into place.
        var bound = socket + Pm.Config.IpcLayout.TemporarySuffix;
        var listener = UnixSocketTable.Read(new HashSet<string> { bound }).Single(e => e.State == UnixSocketTable.StateListen);
        listener.SendQueue.Should().Be(37, "for a listening socket sock_diag reports the backlog limit");
        (await CgiFcgi.GetAsync($"127.0.0.1:{port}", "/tcp")).Should().Contain("SCRIPT_NAME=/tcp");
        (await pm.StatusAsync()).Apps.Should().Contain(a => a.Address == $"127.0.0.1:{port}");
        (await pm.StopAsync(Wait)).Should().Be(0);
    }

    [Fact(Timeout = 60_000)]
    public async Task InstanceHoldingAConnection_ShowsAsBusy_TheOthersAsIdle()
    {
        using var dir = new TestDirectory();
        var hello = dir.Link("hello", NativeApps.HelloC);
        await using var pm = await PmProcess.StartAsync(dir, $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {hello} -socket hello -processes 3
            """);

        // An accepted connection with no request yet: one instance blocks reading it.
        using var client = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        await client.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(dir.IpcDir, "hello")));
        Pm.Status.StatusReport status = null!;
        await WaitUntil(async () => (status = await pm.StatusAsync()).Apps.Single().Instances.Any(i => i.State == "busy"),
            Wait, "an instance that accepted the connection shows as busy", interval: TimeSpan.FromMilliseconds(20));

        status.Apps.Single().Instances.Select(i => i.State).Should().BeEquivalentTo(["busy", "idle", "idle"]);
        client.Dispose();
        (await pm.StopAsync(Wait)).Should().Be(0);
    }

}
