using Pm.Supervision;

namespace Pm.Tests.Supervision.InMemory;

/// <summary>The guard behind the "runs on the supervisor loop only" asserts.</summary>
public sealed class LoopGuardTests
{
    [Fact]
    public void IsHandling_InsideEnter_IsTrue()
    {
        var guard = new LoopGuard();

        using (guard.Enter())
        {
            guard.IsHandling.Should().BeTrue();
        }
    }

    [Fact]
    public void IsHandling_AfterTheScopeEnds_IsFalse()
    {
        var guard = new LoopGuard();
        using (guard.Enter())
        {
        }

        guard.IsHandling.Should().BeFalse();
    }

    [Fact]
    public void IsHandling_OnAnotherThreadWhileTheLoopHandlesAnEvent_IsFalse()
    {
        var guard = new LoopGuard();
        using (guard.Enter())
        {
            var elsewhere = true;
            var thread = new Thread(() => elsewhere = guard.IsHandling);
            thread.Start();
            thread.Join();

            elsewhere.Should().BeFalse("a timer callback or the child watcher's thread is not the loop, even while the loop is busy");
        }
    }
}
