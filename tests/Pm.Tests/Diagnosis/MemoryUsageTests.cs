using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Pm.Diagnosis;
using Pm.Posix;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.Diagnosis;

/// <summary>
/// /proc/PID/smaps_rollup parsed, and summed over real process groups: a leaking libfcgi app's pages are private,
/// while the copy-on-write pages its forked children share with the parent count in RSS but not as private.
/// </summary>
[Collection(RealProcesses.Name)]
public sealed partial class MemoryUsageTests
{
    private const long MiB = 1024 * 1024;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>/proc/self/smaps_rollup of cat(1) on the machine this was written on (Linux 6.x).</summary>
    private const string Sample = """
        55d1fbde0000-7ffe05806000 ---p 00000000 00:00 0                          [rollup]
        Rss:                1744 kB
        Pss:                 641 kB
        Pss_Dirty:           112 kB
        Pss_Anon:            112 kB
        Pss_File:            529 kB
        Pss_Shmem:             0 kB
        Shared_Clean:       1544 kB
        Shared_Dirty:          0 kB
        Private_Clean:        88 kB
        Private_Dirty:       112 kB
        Referenced:         1744 kB
        Anonymous:           112 kB
        KSM:                   0 kB
        LazyFree:              0 kB
        AnonHugePages:         0 kB
        ShmemPmdMapped:        0 kB
        FilePmdMapped:         0 kB
        Shared_Hugetlb:        0 kB
        Private_Hugetlb:       0 kB
        Swap:                  0 kB
        SwapPss:               0 kB
        Locked:                0 kB

        """;

    private static MemoryUsage? Parse(string text) => MemoryUsage.Parse(Encoding.ASCII.GetBytes(text));

    [Fact]
    public void Parse_RealRollup_RssPssAndPrivateCleanPlusDirty_InBytes() =>
        Parse(Sample).Should().Be(new MemoryUsage(1744 * 1024, 641 * 1024, (88 + 112) * 1024));

    [Fact]
    public void Parse_WithoutTrailingNewline_StillReadsTheLastLine() =>
        Parse("Rss: 10 kB\nPrivate_Dirty: 4 kB").Should().Be(new MemoryUsage(10 * 1024, 0, 4 * 1024));

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("55d1fbde0000-7ffe05806000 ---p 00000000 00:00 0 [rollup]\n")]
    [InlineData("Pss: 641 kB\nPrivate_Dirty: 112 kB\n")]
    [InlineData("Rss: lots kB\n")]
    [InlineData("Rss: 1744\n")]
    [InlineData("Rss: -1744 kB\n")]
    [InlineData("Rss: 99999999999999999999 kB\n")]
    [InlineData("Rss: 9223372036854775807 kB\n")]
    [InlineData("rss: 1744 kB\n")]
    [InlineData("\0\0\0\0")]
    public void Parse_NoWellFormedRssLine_IsNull(string text) => Parse(text).Should().BeNull();

    [Fact]
    public void Parse_MalformedOtherLines_CountZero_RssStillRead() =>
        Parse("Rss: 100 kB\nPss: x kB\nPrivate_Clean: 5 MB\nPrivate_Dirty: 7 kB\n").Should().Be(new MemoryUsage(100 * 1024, 0, 7 * 1024));

    [Fact]
    public void Add_SumsEachField() =>
        (new MemoryUsage(1, 2, 3) + new MemoryUsage(10, 20, 30)).Should().Be(new MemoryUsage(11, 22, 33));

    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(512L, "512 B")]
    [InlineData(1024L, "1.0 kB")]
    [InlineData(640L * 1024, "640 kB")]
    [InlineData(1023L * 1024, "1023 kB")]
    [InlineData((1024L * 1024) - 1, "1.0 MB")]
    [InlineData(4608L * 1024, "4.5 MB")]
    [InlineData(312 * MiB, "312 MB")]
    [InlineData(1229 * MiB, "1.2 GB")]
    [InlineData(20L * 1024 * MiB, "20 GB")]
    public void Size_BinaryUnitsNamedAsPsDoes(long bytes, string text) => MemoryUsage.Size(bytes).Should().Be(text);

    [Fact]
    public void Read_ThisProcess_HasRssAtLeastItsPrivateMemory()
    {
        var usage = MemoryUsage.Read(Environment.ProcessId);

        usage.Should().NotBeNull();
        usage!.Value.PrivateBytes.Should().BePositive();
        usage.Value.RssBytes.Should().BeGreaterThanOrEqualTo(usage.Value.PssBytes).And.BeGreaterThanOrEqualTo(usage.Value.PrivateBytes);
    }

    [Fact]
    public void Read_NoSuchProcess_IsNull() => MemoryUsage.Read(int.MaxValue).Should().BeNull();

    [Fact]
    public void OfGroups_NoSuchGroup_IsAbsent() => MemoryUsage.OfGroups(new HashSet<int> { int.MaxValue }).Should().BeEmpty();

    [Fact(Timeout = 30_000)]
    public async Task Read_Zombie_IsNull_AndItsGroupIsAbsent()
    {
        var pid = PosixSpawn.Start(new SpawnOptions { Path = "/bin/true", Arguments = ["/bin/true"] });
        try
        {
            await WaitUntil(() => ProcessScan.Read(pid) is { State: 'Z' }, Wait, "/bin/true to exit unreaped");

            MemoryUsage.Read(pid).Should().BeNull("a zombie has no memory left: reading its smaps_rollup fails with ESRCH");
            MemoryUsage.OfGroups(new HashSet<int> { pid }).Should().BeEmpty();
        }
        finally
        {
            ChildProcess.WaitPidExited(pid);
        }

        ChildProcess.GroupExists(pid).Should().BeFalse();
    }

    [Fact(Timeout = 60_000)]
    public async Task OfGroups_LeakingApp_Grown64Mb_CountsThemAsPrivate()
    {
        using var dir = new TestDirectory();
        await using var app = SocketApp.Start(dir, []);
        try
        {
            (await OurClient.GetAsync(app.SocketPath, query: "mode=grow&n=32", timeout: Wait)).Should().EndWith("grown 32 MB after 1 requests\n");
            (await OurClient.GetAsync(app.SocketPath, query: "mode=grow&n=32", timeout: Wait)).Should().EndWith("grown 64 MB after 2 requests\n");
            (await OurClient.GetAsync(app.SocketPath, query: "mode=count", timeout: Wait)).Should().EndWith($"pid={app.Pid} count=3\n");

            var usage = MemoryUsage.OfGroups(new HashSet<int> { app.Pid });

            usage.Should().ContainKey(app.Pid);
            usage[app.Pid].PrivateBytes.Should().BeGreaterThanOrEqualTo(60 * MiB, "64 MB were malloc'ed and written by this process alone");
            usage[app.Pid].PssBytes.Should().BeGreaterThanOrEqualTo(usage[app.Pid].PrivateBytes);
            usage[app.Pid].RssBytes.Should().BeGreaterThanOrEqualTo(usage[app.Pid].PssBytes);
        }
        finally
        {
            await app.StopAsync();
        }

        (await Leftovers.WaitUntilGoneAsync(dir.Path, TimeSpan.FromSeconds(5))).Should().BeEmpty();
        ChildProcess.GroupExists(app.Pid).Should().BeFalse();
    }

    [Fact(Timeout = 60_000)]
    public async Task OfGroups_PreloadedParentAndTwoForkedChildren_CountTheSharedPagesInRssButNotAsPrivate()
    {
        using var dir = new TestDirectory();
        await using var app = SocketApp.Start(dir, ["FCGI_TEST_PRELOAD_MB=64", "FCGI_TEST_CHILDREN=2"]);
        try
        {
            // The children are forked once the 64 MB are written, so three members mean the preload is done.
            await WaitUntil(() => ProcessScan.All().Count(p => p.ProcessGroup == app.Pid) == 3, Wait, "the parent and its 2 children");
            var members = ProcessScan.All().Where(p => p.ProcessGroup == app.Pid).Select(p => p.Pid).ToHashSet();
            var answer = await OurClient.GetAsync(app.SocketPath, query: "mode=count", timeout: Wait);
            var served = CountAnswer().Match(answer);
            served.Success.Should().BeTrue(answer);
            var server = int.Parse(served.Groups[1].Value, CultureInfo.InvariantCulture);
            members.Should().Contain(server);
            server.Should().NotBe(app.Pid, "the parent only waits; its children answer");

            var usage = MemoryUsage.OfGroups(new HashSet<int> { app.Pid })[app.Pid];

            usage.RssBytes.Should().BeGreaterThanOrEqualTo(3 * 60 * MiB, "each of the three maps the 64 MB");
            usage.PssBytes.Should().BeInRange(60 * MiB, usage.RssBytes / 2, "the 64 MB are shared three ways");
            usage.PrivateBytes.Should().BeLessThan(16 * MiB, "copy-on-write pages still shared are nobody's private memory");

            // SIGTERM to the parent reaches the children; the parent exits once they have.
            ChildProcess.SignalProcess(app.Pid, Signals.SIGTERM);
            (await app.WaitForExitAsync(Wait)).Should().BeTrue("the parent forwards SIGTERM and exits after its children");
            await WaitUntil(() => !ChildProcess.GroupExists(app.Pid), Wait, "the children to be gone with the parent");
        }
        finally
        {
            await app.StopAsync();
        }

        (await Leftovers.WaitUntilGoneAsync(dir.Path, TimeSpan.FromSeconds(5))).Should().BeEmpty();
    }

    [GeneratedRegex(@"pid=(\d+) count=1\n$")]
    private static partial Regex CountAnswer();

    /// <summary>
    /// fcgi-test started as the PM starts an instance, without a PM: its own process group, a listening Unix socket
    /// on fd 0, through a link in the test's directory so a leftover is found by its command line.
    /// </summary>
    private sealed class SocketApp : IAsyncDisposable
    {
        private readonly Socket listener;
        private bool reaped;

        private SocketApp(Socket listener, string socketPath, int pid)
        {
            this.listener = listener;
            SocketPath = socketPath;
            Pid = pid;
        }

        public string SocketPath { get; }

        /// <summary>The app's pid, also its process group's id.</summary>
        public int Pid { get; }

        public static SocketApp Start(TestDirectory dir, IReadOnlyList<string> environment)
        {
            var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
            var socketPath = dir.File("app.sock");
            var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            listener.Listen(16);
            var pid = PosixSpawn.Start(new SpawnOptions
            {
                Path = app,
                Arguments = [app],
                Environment = environment,
                WorkingDirectory = dir.Path,
                Descriptors = [((int)listener.Handle, 0)],
            });
            return new SocketApp(listener, socketPath, pid);
        }

        /// <summary>Whether the app exited (and was reaped) within <paramref name="patience"/>.</summary>
        public async Task<bool> WaitForExitAsync(TimeSpan patience) =>
            reaped || await TryWaitUntil(() => reaped = ChildProcess.WaitPidExitedNoHang(Pid) is not null, patience, TimeSpan.FromMilliseconds(10));

        /// <summary>SIGKILL to the whole group, then the reap: nothing of it is left, not even a zombie of ours.</summary>
        public async Task StopAsync()
        {
            if (ChildProcess.GroupExists(Pid))
            {
                ChildProcess.SignalGroup(Pid, Signals.SIGKILL);
            }

            (await WaitForExitAsync(Wait)).Should().BeTrue($"fcgi-test {Pid} dies of SIGKILL");

            // Children of a killed parent are reparented; they die of SIGKILL too, but another process reaps them.
            await WaitUntil(() => !ProcessScan.All().Any(p => p.ProcessGroup == Pid && p.State is not 'Z'), Wait, $"group {Pid} to be gone");
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await StopAsync();
            }
            finally
            {
                listener.Dispose();
            }
        }
    }
}
