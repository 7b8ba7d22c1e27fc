using Pm.Supervision;

namespace Pm.Tests.Supervision;

/// <summary>The reason label of the spawn and kill counters, read from the sentences the PM logs.</summary>
public sealed class ReasonKindTests
{
    [Theory]
    [InlineData("PM start", false, "start")]
    [InlineData("policy demand: 2 waiting", true, "policy")]
    [InlineData("its scheduled restart is due", false, "restart")]
    [InlineData("replacing pid 42", false, "restart")]
    [InlineData("replacing pid 42 (-max-requests 100 reached)", false, "recycle")]
    [InlineData("replacing stuck pid 42", false, "stuck")]
    public void OfSpawn_NamesTheKind(string reason, bool dynamic, string kind) => ReasonKind.OfSpawn(reason, dynamic).Should().Be(kind);

    [Theory]
    [InlineData("-spawn-timeout 60 s: not waiting for work on fd 0 61 s after its start", "spawn_timeout")]
    [InlineData("-request-timeout: a request ran 3 s (GET /x); the client got a 504", "request_timeout")]
    [InlineData("-stuck-timeout 60 s: neither waiting for work nor holding a request for 61 s", "stuck")]
    [InlineData("-max-requests 500 reached", "max_requests")]
    [InlineData("private memory 44.2 MB > -memory-limit 40.0 MB after 22 requests", "memory_limit")]
    [InlineData("PM shutting down (web processes first)", "shutdown")]
    [InlineData("reload: the web processes read the new config", "reload")]
    [InlineData("its app was removed by a reload", "reload")]
    [InlineData("-processes lowered to 1 by reload", "reload")]
    [InlineData("pm restart", "restart")]
    [InlineData("retired by policy demand", "policy")]
    [InlineData("something new", "other")]
    public void OfKill_NamesTheKind(string reason, string kind) => ReasonKind.OfKill(reason).Should().Be(kind);
}
