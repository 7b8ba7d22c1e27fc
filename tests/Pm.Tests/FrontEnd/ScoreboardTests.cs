using Pm.FrontEnd.Logging;
using Pm.FrontEnd.Scoreboard;
using Pm.Scoreboard;
using Pm.Status;
using Pm.Tests.Fixtures;

namespace Pm.Tests.FrontEnd;

/// <summary>The scoreboard: a web process writes its counters and requests in flight; the PM reads and sums them, and keeps a gone web process's counts.</summary>
public sealed class ScoreboardTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 10, 0, 0, 123, TimeSpan.Zero);

    private readonly TestDirectory _dir = new();
    private readonly WebLog _log = WebLog.Console();

    public ScoreboardTests() => Directory.CreateDirectory(_dir.IpcDir); // the PM's to make; a web process makes none


    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime, not IAsyncDisposable: xunit 2 never calls the latter on a test class, and each test left its
    // directory in /tmp.
    public async Task DisposeAsync()
    {
        await _log.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public void BeginConnectedEnd_AreReadBack_CountsBucketsAndTheSlot()
    {
        using var board = WebScoreboard.Open(_dir.IpcDir, 4242, Now, _log)!;
        var a = board.AppIndex("/srv/a");
        var b = board.AppIndex("/srv/b");
        board.AppIndex("/srv/a").Should().Be(a, "one record per app");
        var held = board.Begin(a, "POST", "/a?x=1", Now);
        board.Connected(held, 17);
        var done = board.Begin(b, "GET", "/b", Now);
        board.End(b, done, TimeSpan.FromMilliseconds(0.2), TimeSpan.FromMilliseconds(30));
        var unanswered = board.Begin(b, "GET", "/b2", Now);
        board.End(b, unanswered, null, null);

        using var file = ScoreboardFile.Open(board.Path)!;
        var scores = WebScores.Read(file);

        scores.Pid.Should().Be(4242);
        scores.Apps["/srv/a"].InFlight.Should().Be(1);
        scores.Apps["/srv/a"].Requests.Should().Be(0, "a request counts once it ends");
        var appB = scores.Apps["/srv/b"];
        appB.Requests.Should().Be(2);
        appB.InFlight.Should().Be(0);
        appB.QueueWaitBuckets[ScoreboardLayout.BucketOf(0.0002)].Should().Be(1, "the one that reached the app, in the 0.5 ms bucket");
        appB.QueueWaitBuckets.Sum().Should().Be(1, "one that never reached an instance has no waits to observe");
        appB.ServiceBuckets[Array.IndexOf(ScoreboardLayout.BucketBounds, 0.05)].Should().Be(1, "30 ms is in the bucket up to 50 ms");
        appB.ServiceNanoseconds.Should().Be(30_000_000);
        scores.InFlight.Should().ContainSingle().Which.Should().Be(new InFlightRequest("/srv/a", 4242, 17, "POST", "/a?x=1", Now));
    }

    [Fact]
    public void Begin_ALongUri_IsCutToItsSlot_AndAFullTableStillCounts()
    {
        using var board = WebScoreboard.Open(_dir.IpcDir, 4243, Now, _log)!;
        var app = board.AppIndex("/srv/a");
        board.Begin(app, "GET", "/" + new string('é', 1000), Now);
        var slots = Enumerable.Range(0, ScoreboardLayout.SlotCapacity).Select(_ => board.Begin(app, "GET", "/", Now)).ToList();
        slots.Count(s => s < 0).Should().Be(1, "one slot was already taken; the request past the table has none");

        using var file = ScoreboardFile.Open(board.Path)!;
        var scores = WebScores.Read(file);
        scores.Apps["/srv/a"].InFlight.Should().Be(ScoreboardLayout.SlotCapacity + 1, "every request is in flight, shown or not");
        var cut = scores.InFlight.Single(r => r.Uri.Length > 1).Uri;
        cut.Should().MatchRegex("^/é+$", "cut at a character, never inside one");
        System.Text.Encoding.UTF8.GetByteCount(cut).Should().BeLessThanOrEqualTo(ScoreboardLayout.SlotUriMax);
    }

    [Fact]
    public void Read_AGoneWebProcess_KeepsItsCounts_AndRemovesItsFile()
    {
        var boards = new Scoreboards(_dir.IpcDir);
        var gone = 0x3FFF_FFF0; // above any pid_max: no such process
        using (var board = WebScoreboard.Open(_dir.IpcDir, gone, Now, _log)!)
        {
            var app = board.AppIndex("/srv/a");
            for (var i = 0; i < 3; i++)
            {
                board.End(app, board.Begin(app, "GET", "/", Now), TimeSpan.Zero, TimeSpan.FromMilliseconds(1));
            }
        }

        using (var live = WebScoreboard.Open(_dir.IpcDir, Environment.ProcessId, Now, _log)!)
        {
            var app = live.AppIndex("/srv/a");
            live.End(app, live.Begin(app, "GET", "/", Now), TimeSpan.Zero, TimeSpan.FromMilliseconds(1));
            boards.Read().Apps["/srv/a"].Requests.Should().Be(4);
            File.Exists(ScoreboardLayout.FileOf(_dir.IpcDir, gone)).Should().BeFalse("read once more, then removed");
            var again = boards.Read().Apps["/srv/a"];
            again.Requests.Should().Be(4, "the gone process's counts are kept: a counter never goes back");
            again.ServiceBuckets.Sum().Should().Be(4);
        }
    }

    [Fact]
    public void Open_WithoutAnIpcDir_MakesNone()
    {
        using var elsewhere = new TestDirectory();
        WebScoreboard.Open(elsewhere.IpcDir, 4244, Now, _log).Should().BeNull();
        Directory.Exists(elsewhere.IpcDir).Should().BeFalse("the IPC dir's access depends on who made it: the PM");
    }

    [Fact]
    public void Histogram_FromBuckets_IsCumulativeWithInfEqualToCount()
    {
        var h = HistogramReport.FromBuckets([0.1, 1], [2, 0, 3], 4.5);
        h.Cumulative.Should().Equal(2, 2, 5);
        h.Count.Should().Be(5);
        h.SumSeconds.Should().Be(4.5);
    }
}
