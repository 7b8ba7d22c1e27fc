using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Pm.Posix;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.Supervision;

/// <summary>
/// Issue 9's reloads end to end, through `pm serve` with two web processes and the libfcgi test app: SIGHUP under
/// constant GET and POST load rolls a changed app and the web processes over without a failed request and leaves an
/// unchanged app's instances alone; a broken config changes nothing and says where it is broken; `pm reload` adds
/// and removes apps; `pm restart APP` rolls one app.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed class ReloadTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(40);

    [Fact(Timeout = 150_000)]
    public async Task Sighup_UnderGetAndPostLoad_RollsTheChangedAppAndTheWebProcesses_LeavesTheUnchangedOne_AndNoRequestFails()
    {
        using var dir = new TestDirectory();
        var a = dir.Link("a.fcgi", FrontEndApps.FcgiTest);
        var b = dir.Link("b.fcgi", FrontEndApps.FcgiTest);
        string Apps(string aOptions) => $"FastCgiServer {a} -processes 2 -url /a {aOptions}\nFastCgiServer {b} -processes 2 -url /b";
        await using var server = await FrontEndServer.StartAsync(dir, Apps(""), webProcesses: 2);
        var before = await PidsAsync(server.Pm);

        using var load = new Load(server.Client);
        await load.WaitForAsync(200);
        File.WriteAllText(dir.File("pm.conf"), File.ReadAllText(dir.File("pm.conf")).Replace($"-url /a \n", "-url /a -initial-env CHANGED=1\n", StringComparison.Ordinal));
        File.ReadAllText(dir.File("pm.conf")).Should().Contain("CHANGED=1");
        ChildProcess.SignalProcess(server.Pm.Pid, Signals.SIGHUP);
        await server.Pm.WaitForLineAsync(l => l.Contains("reload (SIGHUP): done", StringComparison.Ordinal), Wait);
        var sent = load.Count;
        await load.WaitForAsync(sent + 200); // requests through the new web processes and instances too
        var failures = await load.StopAsync();

        failures.Should().BeEmpty("a reload loses no request");
        var after = await PidsAsync(server.Pm);
        after[a].Should().HaveCount(2).And.NotIntersectWith(before[a], "every instance of the changed app was rolled over");
        after[b].Should().BeEquivalentTo(before[b], "the unchanged app's instances are not touched");
        after["web"].Should().HaveCount(2).And.NotIntersectWith(before["web"], "the web processes read the new config");
        server.Pm.Lines.Should().Contain(l => l.Contains($"reload (SIGHUP): 1 changed ({a}: environment), 1 unchanged, web processes rolled", StringComparison.Ordinal));
        File.ReadAllText($"/proc/{after[a][0]}/environ").Split('\0').Should().Contain("CHANGED=1", "the new instances run with the new -initial-env");
        load.Count.Should().BeGreaterThan(400);
    }

    [Fact(Timeout = 120_000)]
    public async Task BrokenConfig_OnSighup_ChangesNothing_AndTheLogSaysWhereItIsBroken()
    {
        using var dir = new TestDirectory();
        var a = dir.Link("a.fcgi", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {a} -processes 2 -url /a");
        var before = await PidsAsync(server.Pm);
        var config = dir.File("pm.conf");
        var lines = File.ReadAllLines(config).ToList();
        lines.Add($"FastCgiServer {a} -processes 0");
        File.WriteAllLines(config, lines);

        ChildProcess.SignalProcess(server.Pm.Pid, Signals.SIGHUP);

        var error = await server.Pm.WaitForLineAsync(l => l.Contains("reload refused: ", StringComparison.Ordinal), Wait);
        error.Should().Contain($"{config}:{lines.Count}:").And.Contain("processes");
        await server.Pm.WaitForLineAsync(l => l.Contains("the running apps are untouched", StringComparison.Ordinal), Wait);
        (await server.Client.GetStringAsync("/a?mode=count")).Should().StartWith("pid=");
        (await PidsAsync(server.Pm)).Should().BeEquivalentTo(before, "a refused reload touches no instance");
        var (code, output) = await PmCommandAsync(dir, "reload");
        code.Should().Be(1);
        output.Should().Contain("refused").And.Contain($"{config}:{lines.Count}:");
    }

    [Fact(Timeout = 150_000)]
    public async Task PmReload_AddsAndRemovesApps_AndPmRestartRollsOneApp()
    {
        using var dir = new TestDirectory();
        var a = dir.Link("a.fcgi", FrontEndApps.FcgiTest);
        var b = dir.Link("b.fcgi", FrontEndApps.FcgiTest);
        var c = dir.Link("c.fcgi", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {a} -url /a\nFastCgiServer {b} -url /b -socket b.sock");
        var before = await PidsAsync(server.Pm);
        var config = dir.File("pm.conf");
        File.WriteAllText(config, File.ReadAllText(config).Replace($"FastCgiServer {b} -url /b -socket b.sock", $"FastCgiServer {c} -url /c -processes 2", StringComparison.Ordinal));

        var (code, output) = await PmCommandAsync(dir, "reload");

        code.Should().Be(0, output);
        output.Should().Contain("reloading: 1 added").And.Contain("1 removed");
        await server.Pm.WaitForLineAsync(l => l.Contains("reload (pm reload): done", StringComparison.Ordinal), Wait);
        (await server.Client.GetStringAsync("/c?mode=count")).Should().StartWith("pid=");
        using (var gone = await server.Client.GetAsync("/b?mode=count"))
        {
            gone.StatusCode.Should().Be(HttpStatusCode.NotFound, "the new web processes no longer route to the removed app");
        }

        File.Exists(Path.Combine(dir.IpcDir, "b.sock")).Should().BeFalse("the removed app's socket is closed and its name removed");
        before[b].Should().OnlyContain(pid => !ChildProcess.GroupExists(pid));
        var after = await PidsAsync(server.Pm);
        after[a].Should().BeEquivalentTo(before[a]);
        after[c].Should().HaveCount(2);

        (code, output) = await PmCommandAsync(dir, $"restart {a}");
        code.Should().Be(0, output);
        output.Should().Contain("1 instance(s) rolled over");
        await server.Pm.WaitForLineAsync(l => l.Contains($"app {a}: rolled over: pm restart", StringComparison.Ordinal), Wait);
        (await PidsAsync(server.Pm))[a].Should().ContainSingle().Which.Should().NotBe(before[a].Single());
        (code, output) = await PmCommandAsync(dir, "restart /no/such/app");
        code.Should().Be(1);
        output.Should().Contain("no static app /no/such/app");
    }

    [Fact(Timeout = 120_000)]
    public async Task ReloadDuringAReload_IsQueuedNotLost_AndPmStopStopsThePmAsSigtermDoes()
    {
        using var dir = new TestDirectory();
        var a = dir.Link("a.fcgi", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {a} -processes 4 -url /a");
        var config = dir.File("pm.conf");
        File.WriteAllText(config, File.ReadAllText(config).Replace("-url /a", "-url /a -initial-env ROUND=1", StringComparison.Ordinal));

        var first = PmCommandAsync(dir, "reload");
        await server.Pm.WaitForLineAsync(l => l.Contains("rolling over 4 instance(s)", StringComparison.Ordinal), Wait);
        File.WriteAllText(config, File.ReadAllText(config).Replace("ROUND=1", "ROUND=2", StringComparison.Ordinal));
        var (code, output) = await PmCommandAsync(dir, "reload");

        code.Should().Be(0, output);
        output.Should().Contain("queued", "a reload asked for during another waits for it");
        (await first).Output.Should().Contain("reloading: 1 changed");
        var clock = Stopwatch.StartNew();
        while (server.Pm.Lines.Count(l => l.Contains("reload (pm reload): done", StringComparison.Ordinal)) < 2)
        {
            clock.Elapsed.Should().BeLessThan(Wait, "both reloads end");
            await Task.Delay(50);
        }

        var pids = (await PidsAsync(server.Pm))[a];
        pids.Should().HaveCount(4).And.OnlyContain(pid => File.ReadAllText($"/proc/{pid}/environ").Contains("ROUND=2", StringComparison.Ordinal),
            "the queued reload read the config when its turn came");

        (code, output) = await PmCommandAsync(dir, "stop");
        code.Should().Be(0, output);
        output.Should().Contain("stopping");
        await server.Pm.WaitForExitAsync(Wait);
        server.Pm.ExitCode.Should().Be(0);
        pids.Should().OnlyContain(pid => !ChildProcess.GroupExists(pid));
    }

    [Fact(Timeout = 120_000)]
    public async Task ProcessesLoweredThenRaised_RetiresTheLastSlotsThenStartsThem_TouchingNoOtherInstance()
    {
        using var dir = new TestDirectory();
        var a = dir.Link("a.fcgi", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {a} -processes 4 -url /a");
        var four = await PidsAsync(server.Pm);
        var config = dir.File("pm.conf");

        File.WriteAllText(config, File.ReadAllText(config).Replace("-processes 4", "-processes 2", StringComparison.Ordinal));
        var (code, output) = await PmCommandAsync(dir, "reload");
        code.Should().Be(0, output);
        output.Should().Contain("processes 4 -> 2");
        await server.Pm.WaitForLineAsync(l => l.Contains("reload (pm reload): done", StringComparison.Ordinal), Wait);
        var two = await PidsAsync(server.Pm);
        two[a].Should().HaveCount(2).And.BeSubsetOf(four[a], "lowering -processes retires instances and starts none");

        File.WriteAllText(config, File.ReadAllText(config).Replace("-processes 2", "-processes 3", StringComparison.Ordinal));
        (code, output) = await PmCommandAsync(dir, "reload");
        code.Should().Be(0, output);
        var clock = Stopwatch.StartNew();
        while (server.Pm.Lines.Count(l => l.Contains("reload (pm reload): done", StringComparison.Ordinal)) < 2)
        {
            clock.Elapsed.Should().BeLessThan(Wait);
            await Task.Delay(50);
        }

        var three = await PidsAsync(server.Pm);
        three[a].Should().HaveCount(3).And.Contain(two[a], "raising it starts one more and keeps the others");
        (await server.Pm.StatusAsync()).Apps.Single(x => x.Name == a).DesiredInstances.Should().Be(3);
    }

    /// <summary>Constant load: GETs and POSTs with a body (checked by its echoed length) to /a and /b until stopped.</summary>
    private sealed class Load : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentQueue<string> _failures = new();
        private readonly Task _running;
        private int _count;

        public Load(HttpClient client)
        {
            _running = Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                var body = new string('x', 1000 + w);
                for (var n = 0; !_stop.IsCancellationRequested; n++)
                {
                    var path = w % 2 == 0 ? "/a" : "/b";
                    try
                    {
                        if (n % 2 == 0)
                        {
                            using var response = await client.GetAsync(path + "?mode=count");
                            var text = await response.Content.ReadAsStringAsync();
                            if (response.StatusCode != HttpStatusCode.OK || !text.StartsWith("pid=", StringComparison.Ordinal))
                            {
                                _failures.Enqueue($"GET {path}: {(int)response.StatusCode} {text}");
                            }
                        }
                        else
                        {
                            using var response = await client.PostAsync(path + "?mode=echo", new StringContent(body, Encoding.ASCII));
                            var text = await response.Content.ReadAsStringAsync();
                            if (response.StatusCode != HttpStatusCode.OK || !text.Contains(body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))
                            {
                                _failures.Enqueue($"POST {path}: {(int)response.StatusCode} {text}");
                            }
                        }
                    }
                    catch (HttpRequestException ex)
                    {
                        _failures.Enqueue($"{(n % 2 == 0 ? "GET" : "POST")} {path}: {ex.Message} ({ex.InnerException?.GetType().Name}: {ex.InnerException?.Message})");
                    }

                    Interlocked.Increment(ref _count);
                }
            })));
        }

        public int Count => Volatile.Read(ref _count);

        public async Task WaitForAsync(int count)
        {
            var clock = Stopwatch.StartNew();
            while (Count < count)
            {
                if (clock.Elapsed > Wait)
                {
                    throw new TimeoutException($"only {Count} requests within {Wait.TotalSeconds} s");
                }

                await Task.Delay(20);
            }
        }

        public async Task<List<string>> StopAsync()
        {
            _stop.Cancel();
            await _running;
            return [.. _failures];
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
        }
    }

    /// <summary>Each app's live, running instances' pids (the web processes as "web").</summary>
    private static async Task<Dictionary<string, List<int>>> PidsAsync(PmProcess pm)
    {
        Dictionary<string, List<int>> pids = [];
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var apps = (await pm.StatusAsync()).Apps.Where(x => x.Kind is "static" or "web").ToList();
            pids = apps.ToDictionary(x => x.Name, x => x.Instances.Select(i => i.Pid).OrderBy(p => p).ToList());
            if (apps.All(x => x.Instances.Count == x.DesiredInstances && x.Instances.All(i => i.State is "idle" or "busy")) || clock.Elapsed > Wait)
            {
                return pids;
            }

            await Task.Delay(50);
        }
    }

    private static Task<(int Code, string Output)> PmCommandAsync(TestDirectory dir, string command) =>
        PmCommand.RunAsync([.. command.Split(' ', 2), "--ipc-dir", dir.IpcDir]);
}
