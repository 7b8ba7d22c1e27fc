using System.Net;
using System.Net.Sockets;
using System.Text;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.FrontEnd;

/// <summary>Dynamic apps through the front end: started by their first request, once, and only what the root holds.</summary>
[Collection(RealProcesses.Name)]
public sealed class DynamicAppTests
{
    private static async Task<(FrontEndServer Server, string Root)> StartAsync(TestDirectory dir, string options = "")
    {
        var root = Directory.CreateDirectory(dir.File("fcgi-bin")).FullName;
        File.Copy(FrontEndApps.FcgiTest, Path.Combine(root, "test.fcgi"));
        var server = await FrontEndServer.StartAsync(dir, $"""
            FastCgiConfig -appConnTimeout 15 {options}
            PmDynamicRoot /fcgi-bin/ {root}
            """);
        return (server, root);
    }

    [Fact(Timeout = 60_000)]
    public async Task FirstRequest_StartsTheApp_AndGetsItsAnswer()
    {
        using var dir = new TestDirectory();
        var (server, root) = await StartAsync(dir);
        await using var _ = server;
        var app = Path.Combine(root, "test.fcgi");

        var env = await server.Client.GetStringAsync("/fcgi-bin/test.fcgi/more/path?mode=env");
        env.Should().Contain("SCRIPT_NAME=/fcgi-bin/test.fcgi\n").And.Contain("PATH_INFO=/more/path\n")
            .And.Contain($"SCRIPT_FILENAME={app}\n").And.Contain($"DOCUMENT_ROOT={root}\n");
        server.Pm.Output.Should().Contain($"dynamic app {app}: created");
        (await server.Client.GetStringAsync("/fcgi-bin/test.fcgi")).Should().StartWith("pid ", "later requests find it running");
    }

    [Fact(Timeout = 60_000)]
    public async Task FiftyConcurrentFirstRequests_StartTheAppOnce_AndAllGetAnswers()
    {
        using var dir = new TestDirectory();
        var (server, root) = await StartAsync(dir);
        await using var _ = server;
        var app = Path.Combine(root, "test.fcgi");

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            using var response = await server.Client.GetAsync("/fcgi-bin/test.fcgi");
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));

        answers.Should().AllSatisfy(a =>
        {
            a.StatusCode.Should().Be(HttpStatusCode.OK);
            a.Body.Should().StartWith("pid ");
        });
        server.Pm.Lines.Count(l => l.Contains($"dynamic app {app}: created", StringComparison.Ordinal)).Should().Be(1);
        server.Pm.Lines.Count(l => l.Contains($"app {app}: started pid", StringComparison.Ordinal)).Should().BeGreaterThanOrEqualTo(1);
    }

    [Fact(Timeout = 90_000)]
    public async Task LoadBurst_ScalesTheAppUpAtOnce_AndBackDownWhenItIsOver()
    {
        using var dir = new TestDirectory();
        var (server, root) = await StartAsync(dir, "-idleTimeout 1 -minClassProcesses 1 -spareProcesses 0");
        await using var _ = server;
        var app = Path.Combine(root, "test.fcgi");
        (await server.Client.GetStringAsync("/fcgi-bin/test.fcgi")).Should().StartWith("pid ");

        // 16 requests of 0.4 s at once: one instance would take 6.4 s; the policy starts what the waiting needs.
        var started = DateTime.UtcNow;
        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            using var response = await server.Client.GetAsync("/fcgi-bin/test.fcgi?mode=slow&n=2&ms=200");
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));
        var took = DateTime.UtcNow - started;

        answers.Should().AllSatisfy(a =>
        {
            a.StatusCode.Should().Be(HttpStatusCode.OK);
            a.Body.Should().EndWith("chunk 2\n");
        });
        server.Pm.Lines.Count(l => l.Contains($"app {app}: started pid", StringComparison.Ordinal))
            .Should().BeGreaterThanOrEqualTo(4, "the burst was spread over instances started for it");
        took.Should().BeLessThan(TimeSpan.FromSeconds(4), "the waiting requests did not queue behind one instance");
        server.Pm.Lines.Should().Contain(l => l.Contains($"app {app}: policy demand: starting", StringComparison.Ordinal)
            && (l.Contains("waiting in the accept queue", StringComparison.Ordinal) || l.Contains("waiting longer than startDelay", StringComparison.Ordinal)));

        // Idle again: back to minClassProcesses, the policy saying why.
        await server.Pm.WaitForLineAsync(l => l.Contains("policy demand: retiring pid", StringComparison.Ordinal), FrontEndServer.Wait);
        await WaitUntil(async () => (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app).Instances.Count <= 1,
            FrontEndServer.Wait, $"{app} back to at most one instance", interval: TimeSpan.FromMilliseconds(200));

        (await server.Pm.StatusAsync()).Apps.Single(a => a.Name == app).Instances.Should().ContainSingle();
    }

    [Fact(Timeout = 60_000)]
    public async Task NewApp_AtMaxProcesses_GetsRoomFromAnotherAppsIdleInstance()
    {
        // Each requested app keeps minClassProcesses (1) instance: with maxProcesses 2, a third app fits only
        // if the policy retires another app's idle instance for it.
        using var dir = new TestDirectory();
        var (server, root) = await StartAsync(dir, "-maxProcesses 2 -processSlack 1 -spareProcesses 0");
        await using var _ = server;
        foreach (var name in new[] { "b.fcgi", "c.fcgi" })
        {
            File.Copy(Path.Combine(root, "test.fcgi"), Path.Combine(root, name));
        }

        (await server.Client.GetStringAsync("/fcgi-bin/test.fcgi")).Should().StartWith("pid ");
        (await server.Client.GetStringAsync("/fcgi-bin/b.fcgi")).Should().StartWith("pid ");

        using var third = await server.Client.GetAsync("/fcgi-bin/c.fcgi");
        third.StatusCode.Should().Be(HttpStatusCode.OK);
        (await third.Content.ReadAsStringAsync()).Should().StartWith("pid ");
        server.Pm.Lines.Should().Contain(l => l.Contains($"{Path.Combine(root, "c.fcgi")} has requests waiting: retiring instance", StringComparison.Ordinal));
        (await server.Pm.StatusAsync()).Apps.Where(a => a.Kind == "dynamic").Sum(a => a.Instances.Count).Should().BeLessThanOrEqualTo(2);
    }

    [Fact(Timeout = 60_000)]
    public async Task OnlyExecutablesWithTheHandlerExtensionInsideTheRoot_AreServed()
    {
        using var dir = new TestDirectory();
        var (server, root) = await StartAsync(dir);
        await using var _ = server;
        var outside = dir.File("outside.fcgi");
        File.Copy(FrontEndApps.FcgiTest, outside);
        File.CreateSymbolicLink(Path.Combine(root, "link.fcgi"), outside);
        File.WriteAllText(Path.Combine(root, "plain.fcgi"), "not executable");
        File.Copy(FrontEndApps.FcgiTest, Path.Combine(root, "noext"));
        Directory.CreateDirectory(Path.Combine(root, "sub"));

        (await server.Client.GetAsync("/fcgi-bin/link.fcgi")).StatusCode.Should().Be(HttpStatusCode.Forbidden, "the link leads out of the root");
        (await server.Client.GetAsync("/fcgi-bin/plain.fcgi")).StatusCode.Should().Be(HttpStatusCode.Forbidden, "not executable");
        (await server.Client.GetAsync("/fcgi-bin/noext")).StatusCode.Should().Be(HttpStatusCode.Forbidden, "no handler extension");
        (await server.Client.GetAsync("/fcgi-bin/missing.fcgi")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await server.Client.GetAsync("/fcgi-bin/sub")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await RawGetAsync(server.Port, "/fcgi-bin/%2E%2E/outside.fcgi")).Should().NotStartWith("HTTP/1.1 200", "an encoded '..' does not lead out of the root");
        (await RawGetAsync(server.Port, "/fcgi-bin/sub/%2E%2E/%2E%2E/outside.fcgi")).Should().NotStartWith("HTTP/1.1 200");
        await server.Pm.WaitForLineAsync(l => l.Contains("link.fcgi leads outside the dynamic root", StringComparison.Ordinal), FrontEndServer.Wait);
        server.Pm.Output.Should().NotContain(": created under root", "no dynamic app was started");
    }

    [Fact(Timeout = 60_000)]
    public async Task RequestThatCannotBeStartedInTime_Gives503()
    {
        using var dir = new TestDirectory();
        var root = Directory.CreateDirectory(dir.File("fcgi-bin")).FullName;
        var crasher = Path.Combine(root, "crash.fcgi");
        File.WriteAllText(crasher, "#!/bin/sh\nexit 1\n");
        File.SetUnixFileMode(crasher, (UnixFileMode)0x1ED);
        await using var server = await FrontEndServer.StartAsync(dir, $"""
            FastCgiConfig -appConnTimeout 2 -idle-timeout 2
            PmDynamicRoot /fcgi-bin/ {root}
            """);
        using var response = await server.Client.GetAsync("/fcgi-bin/crash.fcgi");
        response.StatusCode.Should().BeOneOf(HttpStatusCode.ServiceUnavailable, HttpStatusCode.GatewayTimeout);
    }

    [Fact(Timeout = 60_000)]
    public async Task NewerBinary_WithAutoUpdate_IsReportedOnceAndReplaced()
    {
        using var dir = new TestDirectory();
        var (server, root) = await StartAsync(dir, "-autoUpdate");
        await using var _ = server;
        var app = Path.Combine(root, "test.fcgi");
        var first = await server.Client.GetStringAsync("/fcgi-bin/test.fcgi");

        File.SetLastWriteTimeUtc(app, DateTime.UtcNow.AddMinutes(1));
        for (var i = 0; i < 3; i++)
        {
            (await server.Client.GetStringAsync("/fcgi-bin/test.fcgi")).Should().StartWith("pid ");
        }

        await server.Pm.WaitForLineAsync(l => l.Contains("the binary changed", StringComparison.Ordinal), FrontEndServer.Wait);
        var started = await server.Pm.WaitForLineAsync(l => l.Contains($"app {app}: started pid", StringComparison.Ordinal) &&
            !l.Contains($"started pid {first["pid ".Length..].Trim()}:", StringComparison.Ordinal), FrontEndServer.Wait);
        started.Should().NotBeNull("a replacement of the old version is started");
    }

    /// <summary>A request line sent as given (HttpClient would normalise the path).</summary>
    private static async Task<string> RawGetAsync(int port, string target)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}
