using Pm.Status;

namespace Pm.Tests.Status;

/// <summary>`pm status`'s text: the traffic figures where known, each instance's CPU and the request it holds.</summary>
public sealed class StatusPrinterTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 5, 0, 0, TimeSpan.Zero);

    private static StatusReport Report(AppStatus app) => new(100, Now.AddMinutes(-3), Now, "/run/pm", "/etc/pm/pm.conf", [app]);

    [Fact]
    public void AnInstanceHoldingARequest_IsShownWithItsMethodUriAndAge_AndItsCpu()
    {
        var instance = new InstanceStatus(1, 4242, "busy", Now.AddMinutes(-2), 17, 0)
        {
            BusySince = Now.AddSeconds(-3),
            CpuSeconds = 1.234,
            Request = new HeldRequest("POST", "/upload?x=1", Now.AddSeconds(-3)),
        };
        var app = new AppStatus("/srv/app", "dynamic", "/run/pm/app.sock", "/app", 1, 0, 0, null, null, null, 17, [instance])
        {
            InFlight = 1, AcceptQueue = 2, AcceptQueueMax = 9, SlowRequests = 3, MaxInstancesReached = 4,
        };

        var text = StatusPrinter.Format(Report(app));

        text.Should().Contain("  in flight 1, accept queue 2 (at most 9), slow requests 3, max instances reached 4\n");
        text.Should().Contain(" CPU ").And.Contain("1.23s");
        text.Should().Contain("           holding POST /upload?x=1 for 3s");
    }

    [Fact]
    public void UnknownFigures_AreLeftOut_NotShownAsZero()
    {
        var app = new AppStatus("/srv/app", "static", "/run/pm/app.sock", "/app", 1, 0, 0, null, null, null, null,
            [new InstanceStatus(1, 4242, "idle", Now.AddMinutes(-2), null, 0)]);

        var text = StatusPrinter.Format(Report(app));

        StatusPrinter.Traffic(app).Should().BeEmpty();
        text.Should().NotContain("max instances reached").And.NotContain("holding").And.NotContain("in flight");
    }
}
