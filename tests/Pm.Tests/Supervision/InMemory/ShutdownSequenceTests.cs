using Microsoft.Extensions.Logging.Abstractions;
using Pm.Policy.Restart;
using Pm.Supervision;
using Pm.Tests.Supervision.InMemory.Fakes;

namespace Pm.Tests.Supervision.InMemory;

/// <summary>
/// The order of a PM's shutdown, with instances in memory and a fake clock: web processes first, then the apps,
/// SIGKILL at the deadline, a sweep, done. Grace 5 s. No processes, no sleeps.
/// </summary>
public sealed class ShutdownSequenceTests : IDisposable
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);
    private static readonly RestartOptions Restart = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(16));

    private readonly TestApps _apps = new();
    private readonly FakeLoop _loop = new();
    private readonly FakeInstances _instances;
    private readonly ShutdownSequence _shutdown;
    private readonly List<ShutdownPhase> _phases = [ShutdownPhase.Running];
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _finished;

    public ShutdownSequenceTests()
    {
        _instances = new FakeInstances(_loop.Time);
        _shutdown = new ShutdownSequence(_instances, _loop.Timers, _loop.Post, _loop.Time, Grace, NullLogger.Instance, _loop.Guard,
            onDone: () => _finished++);
        _loop.Dispatch = e =>
        {
            switch (e)
            {
                case SupervisorEvent.ShutdownAppsDue:
                    _shutdown.OnWebGraceEnded();
                    break;
                case SupervisorEvent.ShutdownDeadline:
                    _shutdown.OnDeadline();
                    break;
                case SupervisorEvent.ShutdownSweep:
                    _shutdown.OnSweepDue();
                    break;
            }

            NotePhase();
        };
    }

    public void Dispose() => _apps.Dispose();

    [Fact]
    public void Begin_WithWebProcesses_StopsOnlyTheWebProcessesFirst()
    {
        var web = Start("web", "web", 2);
        var app = Start("/srv/fcgi/app.fcgi", "static", 1);

        Begin();

        _shutdown.Phase.Should().Be(ShutdownPhase.StoppingWebProcesses);
        _instances.Actions.Should().Equal("stop starting", $"SIGTERM {web[0]}", $"SIGTERM {web[1]}");
        app.Single().State.Should().Be(InstancePhase.Running, "the apps serve the requests the web processes still hold");
    }

    [Fact]
    public void OnInstanceExited_LastWebProcessExited_StopsTheApps()
    {
        var web = Start("web", "web", 2);
        var app = Start("/srv/fcgi/app.fcgi", "static", 1);
        Begin();

        Exit(web[0]);
        _shutdown.Phase.Should().Be(ShutdownPhase.StoppingWebProcesses, "one web process still finishes its requests");
        Exit(web[1]);

        _shutdown.Phase.Should().Be(ShutdownPhase.StoppingApps);
        _instances.Actions.Should().EndWith($"SIGTERM {app[0]}");
    }

    [Fact]
    public void OnWebGraceEnded_WebProcessStillRunning_StopsTheAppsAnyway()
    {
        Start("web", "web", 1);
        var app = Start("/srv/fcgi/app.fcgi", "static", 1);
        Begin();

        _loop.Advance(Grace - TimeSpan.FromTicks(1));
        _shutdown.Phase.Should().Be(ShutdownPhase.StoppingWebProcesses);
        _loop.Advance(TimeSpan.FromTicks(1));

        _shutdown.Phase.Should().Be(ShutdownPhase.StoppingApps);
        _instances.Actions.Should().EndWith($"SIGTERM {app[0]}");
    }

    [Fact]
    public void OnDeadline_AppIgnoresSigterm_SigkillsAtTheDeadline()
    {
        var app = Start("/srv/fcgi/stubborn.fcgi", "static", 1);
        Begin();
        _shutdown.Phase.Should().Be(ShutdownPhase.StoppingApps, "without web processes the apps are stopped at once");

        _loop.Advance(Grace - TimeSpan.FromTicks(1));
        _instances.Actions.Should().NotContain("SIGKILL everything left");
        _loop.Advance(TimeSpan.FromTicks(1));

        _instances.Actions.Should().EndWith("SIGKILL everything left");
        _phases.Should().Contain(ShutdownPhase.Killing);
        _shutdown.Phase.Should().Be(ShutdownPhase.Sweeping);
        _done.Task.IsCompleted.Should().BeFalse("the killed instance is not reaped yet");

        Exit(app[0]);

        _shutdown.Phase.Should().Be(ShutdownPhase.Done);
        _done.Task.IsCompletedSuccessfully.Should().BeTrue();
        _finished.Should().Be(1);
    }

    [Fact]
    public void Begin_WebProcessesAndAnAppThatIgnoresSigterm_GoesThroughEveryPhaseInOrder()
    {
        var web = Start("web", "web", 2);
        var app = Start("/srv/fcgi/stubborn.fcgi", "static", 1);

        Begin();
        Exit(web[1]);
        Exit(web[0]);
        _loop.Advance(Grace);
        Exit(app[0]);

        _phases.Should().Equal(ShutdownPhase.Running, ShutdownPhase.StoppingWebProcesses, ShutdownPhase.StoppingApps,
            ShutdownPhase.Killing, ShutdownPhase.Sweeping, ShutdownPhase.Done);
        _instances.Actions.Should().Equal("stop starting", $"SIGTERM {web[0]}", $"SIGTERM {web[1]}", $"reported {web[1]}",
            $"reported {web[0]}", $"SIGTERM {app[0]}", "SIGKILL everything left", $"reported {app[0]}");
    }

    [Fact]
    public void Begin_NothingRunning_CompletesAtOnce()
    {
        Begin();

        _phases.Should().Equal(ShutdownPhase.Running, ShutdownPhase.Done);
        _done.Task.IsCompletedSuccessfully.Should().BeTrue();
        _finished.Should().Be(1);
    }

    [Fact]
    public async Task Begin_AlreadyUnderWay_CompletesTheSecondRequesterWithTheFirst()
    {
        var app = Start("/srv/fcgi/app.fcgi", "static", 1);
        Begin();
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        _loop.OnLoop(() => _shutdown.Begin(second, () => _instances.Actions.Add("stop starting")));
        second.Task.IsCompleted.Should().BeFalse();
        Exit(app[0]);

        await second.Task.WaitAsync(TimeSpan.FromSeconds(10));
        _instances.Actions.Count(a => a == "stop starting").Should().Be(1);
        _finished.Should().Be(1);
    }

    [Fact]
    public void CheckComplete_LeftoversOutliveTheSweepLimit_GivesUpThreeSecondsAfterTheDeadline()
    {
        var app = Start("/srv/fcgi/forks.fcgi", "static", 1);
        _instances.Orphans = 1;
        Begin();
        Exit(app[0]);
        _shutdown.Phase.Should().Be(ShutdownPhase.StoppingApps, "the instance is gone, but a descendant it left still runs");

        var deadline = _loop.Now + Grace;
        while (_shutdown.Phase != ShutdownPhase.Done && _loop.Now < deadline + TimeSpan.FromSeconds(10))
        {
            _loop.Advance(TimeSpan.FromMilliseconds(10));
        }

        _shutdown.Phase.Should().Be(ShutdownPhase.Done);
        _loop.Now.Should().BeCloseTo(deadline + TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(20));
        _instances.Actions.Should().Contain("SIGKILL everything left");
        _finished.Should().Be(1);
    }

    private List<Instance> Start(string name, string kind, int processes)
    {
        var app = _apps.Static(name, processes, Restart, kind);
        var started = new List<Instance>();
        _loop.OnLoop(() =>
        {
            foreach (var slot in app.Slots)
            {
                started.Add(_instances.StartQuietly(app, slot.Index, out _)!);
            }
        });
        return started;
    }

    private void Begin()
    {
        _loop.OnLoop(() => _shutdown.Begin(_done, () => _instances.Actions.Add("stop starting")));
        NotePhase();
    }

    /// <summary>As Supervisor does for an exit during a shutdown: reap, report, tell the sequence.</summary>
    private void Exit(Instance instance)
    {
        _loop.OnLoop(() =>
        {
            _instances.Reap(instance, FakeInstances.KilledBy(Pm.Posix.Signals.SIGTERM));
            _instances.ReportExit(instance);
            _shutdown.OnInstanceExited();
        });
        NotePhase();
    }

    private void NotePhase()
    {
        if (_phases[^1] != _shutdown.Phase)
        {
            _phases.Add(_shutdown.Phase);
        }
    }
}
