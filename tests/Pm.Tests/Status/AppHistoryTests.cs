using Microsoft.Extensions.Time.Testing;
using Pm.Status;

namespace Pm.Tests.Status;

/// <summary>An app's history ring, on a fake clock: when samples are taken, what they hold, and how much is kept.</summary>
public sealed class AppHistoryTests
{
    // An odd start, so that nothing passes by lining up with whole minutes.
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 3, 17, 41, 337, TimeSpan.Zero));

    private DateTimeOffset Now => _time.GetUtcNow();

    [Fact]
    public void Observe_First_TakesASampleAtOnce()
    {
        var history = new AppHistory();

        history.Observe(Now, instances: 2, busy: 1, queue: 3);

        history.Report(Now).Samples.Should().Equal(new HistorySample(Now, 2, 1, 3));
    }

    [Fact]
    public void Observe_WithinAnInterval_KeepsThePeakBusyAndQueue_AndTheCountAtItsEnd()
    {
        var history = new AppHistory();
        history.Observe(Now, 2, 0, 0);
        var start = Now;

        _time.Advance(TimeSpan.FromSeconds(1));
        history.Observe(Now, 3, 3, 7);
        _time.Advance(TimeSpan.FromSeconds(1));
        history.Observe(Now, 3, 1, 0);
        history.Report(Now).Samples.Should().HaveCount(1, "the interval is not over yet");

        _time.Advance(TimeSpan.FromSeconds(3));
        history.Observe(Now, 4, 0, 0);

        history.Report(Now).Samples.Should().Equal(new HistorySample(start, 2, 0, 0), new HistorySample(Now, 4, 3, 7));
    }

    [Fact]
    public void Observe_AfterTheSample_StartsTheNextPeakAfresh()
    {
        var history = new AppHistory();
        history.Observe(Now, 1, 0, 0);
        _time.Advance(TimeSpan.FromSeconds(2));
        history.Observe(Now, 1, 5, 5);
        _time.Advance(TimeSpan.FromSeconds(3));
        history.Observe(Now, 1, 0, 0);

        _time.Advance(TimeSpan.FromSeconds(5));
        history.Observe(Now, 1, 1, 0);

        history.Report(Now).Samples[^1].Should().Be(new HistorySample(Now, 1, 1, 0));
    }

    [Fact]
    public void Report_AfterAnHourOfRounds_HoldsTheLastTenMinutesOnly()
    {
        var history = new AppHistory();
        for (var second = 0; second < 3600; second++)
        {
            history.Observe(Now, second % 7, 0, 0);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        var samples = history.Report(Now).Samples;

        samples.Should().HaveCount(120, "a sample every 5 s over 10 minutes (the one exactly 10 minutes old is just out)");
        samples[0].At.Should().BeOnOrAfter(Now - AppHistory.DefaultSpan);
        samples.Zip(samples.Skip(1)).Should().OnlyContain(p => p.Second.At - p.First.At == AppHistory.DefaultEvery);
    }

    [Fact]
    public void Record_ManyEvents_KeepsTheNewestUpToTheLimit()
    {
        var history = new AppHistory(TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(5), maxEvents: 3);
        for (var pid = 100; pid < 110; pid++)
        {
            history.Record(Now, HistoryEvent.Start, pid, "crash loop");
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        history.Report(Now).Events.Select(e => e.Pid).Should().Equal(107, 108, 109);
    }

    [Fact]
    public void Report_EventsOlderThanTheSpan_AreLeftOut()
    {
        var history = new AppHistory();
        history.Record(Now, HistoryEvent.Kill, 41, "-request-timeout");
        _time.Advance(TimeSpan.FromMinutes(6));
        history.Record(Now, HistoryEvent.Start, 42, "replacing pid 41");
        _time.Advance(TimeSpan.FromMinutes(6));

        history.Report(Now).Events.Should().ContainSingle().Which.Should().Be(new HistoryEvent(Now - TimeSpan.FromMinutes(6), "start", 42, "replacing pid 41"));
    }

    [Fact]
    public void Observe_ClockWentBack_TakesASampleRatherThanWaitingForTheOldTime()
    {
        var history = new AppHistory();
        history.Observe(Now, 1, 0, 0);
        var back = Now - TimeSpan.FromMinutes(1); // a wall clock set back (FakeTimeProvider itself never goes back)

        history.Observe(back, 2, 0, 0);

        history.Report(back).Samples.Should().ContainSingle().Which.Instances.Should().Be(2, "the earlier sample now lies in the future and is not shown");
    }

    [Fact]
    public void New_EveryLongerThanSpan_Throws() =>
        FluentActions.Invoking(() => new AppHistory(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), 10)).Should().Throw<ArgumentOutOfRangeException>();
}
