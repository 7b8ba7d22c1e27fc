using Microsoft.Extensions.Time.Testing;
using Pm.Supervision;

namespace Pm.Tests.Supervision.InMemory.Fakes;

/// <summary>
/// The supervisor loop, in memory: what the units post, directly or through <see cref="EventTimers"/> on the fake
/// clock, queues here, and is handed to <see cref="Dispatch"/> one event at a time inside the <see cref="LoopGuard"/>,
/// as the real loop does. Nothing runs until the test moves the clock or acts.
/// </summary>
public sealed class FakeLoop
{
    /// <summary>An odd moment (a leap day, a few ms before midnight), so nothing can assume round times.</summary>
    public static readonly DateTimeOffset Start = new(2028, 2, 29, 23, 59, 59, 993, TimeSpan.Zero);

    private readonly Queue<SupervisorEvent> _pending = new();

    public FakeLoop()
    {
        Time = new FakeTimeProvider(Start);
        Timers = new EventTimers(Time, Post);
    }

    public FakeTimeProvider Time { get; }

    public EventTimers Timers { get; }

    public LoopGuard Guard { get; } = new();

    /// <summary>What handles each event (the test wires the unit under test, as Supervisor.Handle does).</summary>
    public Action<SupervisorEvent> Dispatch { get; set; } = _ => { };

    public DateTimeOffset Now => Time.GetUtcNow();

    public void Post(SupervisorEvent e) => _pending.Enqueue(e);

    /// <summary>Runs <paramref name="action"/> as an event handler, then handles whatever it posted.</summary>
    public void OnLoop(Action action)
    {
        using (Guard.Enter())
        {
            action();
        }

        RunPending();
    }

    /// <summary>Moves the clock (timers due by then post their events) and handles what was posted.</summary>
    public void Advance(TimeSpan by)
    {
        Time.Advance(by);
        RunPending();
    }

    private void RunPending()
    {
        while (_pending.TryDequeue(out var e))
        {
            using (Guard.Enter())
            {
                Dispatch(e);
            }
        }
    }
}
