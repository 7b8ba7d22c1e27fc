using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Pm.Supervision;

/// <summary>
/// Whether the caller is the supervisor loop handling an event, so that "runs on the supervisor loop only" is checked
/// with <see cref="Debug.Assert(bool)"/> (as dotnet/runtime asserts its lock invariants) instead of only written down.
/// <para>
/// The loop is an <c>await foreach</c> over a channel, resumed on whichever thread-pool thread the channel wakes, so
/// it is not one OS thread and asserting on a thread recorded once would fail at random. What does hold: each event
/// is handled synchronously, start to end, on one thread. The loop records that thread around each <c>Handle(e)</c>
/// (and around the first starts, before the loop runs) and clears it afterwards; code that must run on the loop
/// asserts that the current thread is the recorded one. A timer callback, the child watcher's thread or a control
/// socket task calling in directly fails the assert, even while the loop is busy with an event of its own.
/// </para>
/// </summary>
public sealed class LoopGuard
{
    private const int NotHandling = 0;

    private int _handlingThread = NotHandling;

    /// <summary>Whether the current thread is handling an event for the loop now.</summary>
    public bool IsHandling => Volatile.Read(ref _handlingThread) == Environment.CurrentManagedThreadId;

    /// <summary>
    /// Marks the current thread as the loop's until the result is disposed. Not re-entrant: the loop handles one
    /// event at a time, and an event handler never handles another.
    /// </summary>
    public Scope Enter()
    {
        var previous = Interlocked.CompareExchange(ref _handlingThread, Environment.CurrentManagedThreadId, NotHandling);
        Debug.Assert(previous == NotHandling, $"the supervisor loop is already handling an event, on thread {previous}");
        return new Scope(this);
    }

    /// <summary>Asserts, in debug builds, that the caller runs on the supervisor loop.</summary>
    [Conditional("DEBUG")]
    public void AssertOnLoop([CallerMemberName] string caller = "") =>
        Debug.Assert(IsHandling, $"{caller} runs on the supervisor loop only, but thread {Environment.CurrentManagedThreadId} called it outside the loop");

    /// <summary>The loop's hold on the current thread; disposing it ends the event.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly LoopGuard _guard;

        internal Scope(LoopGuard guard) => _guard = guard;

        public void Dispose() => Volatile.Write(ref _guard._handlingThread, NotHandling);
    }
}
