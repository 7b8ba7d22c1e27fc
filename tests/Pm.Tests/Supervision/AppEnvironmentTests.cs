using Pm.Tests.Fixtures;

namespace Pm.Tests.Supervision;

/// <summary>What an instance is given: its environment, directory, process group and signal state.</summary>
[Collection(RealProcesses.Name)]
public sealed class AppEnvironmentTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact(Timeout = 60_000)]
    public async Task Instance_GetsOnlyTheInitialEnvItsDirectoryAndItsOwnProcessGroup_AndItsOutputIsLoggedWithAppAndPid()
    {
        using var dir = new TestDirectory();
        Directory.CreateDirectory(dir.File("appdir"));
        var app = dir.Link("appdir/envapp", Paths.TestApp);
        await using var pm = await PmProcess.StartAsync(dir, $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {app} -arg env -initial-env "GREETING=hello world" -initial-env EMPTY=
            """);

        var cwd = await pm.WaitForLineAsync(l => l.Contains("]: cwd ", StringComparison.Ordinal), Wait);
        var instance = (await pm.StatusAsync()).Apps.Single().Instances.Single();
        cwd.Should().Contain($"{app}[{instance.Pid}]: cwd {dir.File("appdir")}");
        var env = pm.Lines.Where(l => l.Contains("]: env ", StringComparison.Ordinal)).Select(l => l[(l.IndexOf("]: env ", StringComparison.Ordinal) + 7)..]).ToList();
        var shim = Path.Combine(Path.GetDirectoryName(Paths.Pm)!, "libpm-shim.so");
        env.Should().BeEquivalentTo(["GREETING=hello world", "EMPTY=", $"LD_PRELOAD={shim}", "PM_SHIM_FD=3"],
            "besides its -initial-env an instance gets only libpm-shim.so, which counts its requests, and the descriptor of its page");

        var proc = ProcessScan.Read(instance.Pid)!;
        proc.ProcessGroup.Should().Be(instance.Pid, "every instance leads its own process group");
        proc.ParentPid.Should().Be(pm.CorePid);
        var status = File.ReadAllLines($"/proc/{instance.Pid}/status");
        status.Should().Contain(l => l.StartsWith("SigBlk:", StringComparison.Ordinal) && l.EndsWith("0000000000000000", StringComparison.Ordinal));

        // fd 0 is the app's listening socket; nothing else of the PM's leaks in beyond stdout/stderr.
        var fds = Directory.GetFiles($"/proc/{instance.Pid}/fd").Select(f => (Name: Path.GetFileName(f), Target: new FileInfo(f).LinkTarget ?? "")).ToList();
        fds.Should().Contain(f => f.Name == "0" && f.Target.StartsWith("socket:", StringComparison.Ordinal));
        fds.Should().Contain(f => f.Name == "1" && f.Target.StartsWith("pipe:", StringComparison.Ordinal));

        (await pm.StopAsync(Wait)).Should().Be(0);
    }

    [Fact(Timeout = 60_000)]
    public async Task PhpCgi_WithPhpFcgiChildren_ServesAndItsWholeGroupGoesAtShutdown()
    {
        using var dir = new TestDirectory();
        var php = dir.Link("php-cgi", "/usr/bin/php-cgi");
        var script = Path.Combine(Paths.RepoRoot, "examples/apps/php/index.php");
        await using var pm = await PmProcess.StartAsync(dir, $"""
            FastCgiIpcDir {dir.IpcDir}
            FastCgiServer {php} -socket php -initial-env PHP_FCGI_CHILDREN=3
            """);
        var socket = Path.Combine(dir.IpcDir, "php");

        for (var i = 0; i < 5; i++)
        {
            (await CgiFcgi.GetAsync(socket, "/index.php", "n=" + i, scriptFilename: script)).Should().Contain("Hello from PHP").And.Contain("QUERY_STRING=n=" + i);
        }

        var leader = (await pm.StatusAsync()).Apps.Single().Instances.Single().Pid;
        ProcessScan.WithCommandLine(dir.Path).Count(p => p.ProcessGroup == leader).Should().Be(4, "the php-cgi master and its 3 children share the group");

        (await pm.StopAsync(Wait)).Should().Be(0);
        ProcessScan.WithCommandLine(dir.Path).Should().BeEmpty();
    }
}
