using Pm.Posix;

namespace Pm.Tests.Posix;

/// <summary>/proc/stat's aggregate line, and the idle share over the last second from samples of it.</summary>
public sealed class CpuMeterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Parse_AggregateLine_IdleIsIdlePlusIowaitAndTotalTheFirstEight()
    {
        var times = CpuTimes.Parse("cpu  4705 356 584 3699176 23 0 12 7 0 0");

        times.Should().Be(new CpuTimes(3699176 + 23, 4705 + 356 + 584 + 3699176 + 23 + 0 + 12 + 7));
    }

    [Theory]
    [InlineData("cpu0 1 2 3 4 5 6 7 8")]
    [InlineData("intr 1 2 3")]
    [InlineData("cpu  1 2 x 4 5")]
    [InlineData("cpu  1 2 3")]
    public void Parse_NotAnAggregateLine_IsNull(string line) => CpuTimes.Parse(line).Should().BeNull();

    [Fact]
    public void Read_ThisMachine_HasTicks()
    {
        var times = CpuTimes.Read();

        times.Should().NotBeNull();
        times!.Value.Total.Should().BeGreaterThan(times.Value.Idle);
    }

    [Fact]
    public void IdleShare_OverTheLastSecond_FromSamplesTakenWhenAsked()
    {
        var ticks = new Queue<CpuTimes>([new(0, 0), new(50, 100), new(100, 200), new(120, 300), new(130, 400), new(140, 500), new(150, 600)]);
        var meter = new CpuMeter(() => ticks.Dequeue());

        meter.IdleShare(T0).Should().BeNull("one sample spans nothing");
        meter.IdleShare(T0 + TimeSpan.FromSeconds(0.2)).Should().BeNull("0.2 s is too short a span");
        meter.IdleShare(T0 + TimeSpan.FromSeconds(0.4)).Should().Be(0.5);
        meter.IdleShare(T0 + TimeSpan.FromSeconds(0.45)).Should().Be(0.5, "no new sample within 100 ms");
        meter.IdleShare(T0 + TimeSpan.FromSeconds(0.6)).Should().Be(0.4);
        meter.IdleShare(T0 + TimeSpan.FromSeconds(0.8)).Should().BeApproximately(130 / 400.0, 1e-9);
        meter.IdleShare(T0 + TimeSpan.FromSeconds(1.0)).Should().BeApproximately(140 / 500.0, 1e-9);
        meter.IdleShare(T0 + TimeSpan.FromSeconds(1.4)).Should().BeApproximately((150 - 100) / (600 - 200.0), 1e-9,
            "the samples of 0 s and 0.2 s fall out; the one of 0.4 s, at the window's edge, stays");
    }

    [Fact]
    public void IdleShare_AfterAPauseInAsking_IsUnknownRatherThanStale()
    {
        var ticks = new Queue<CpuTimes>([new(0, 0), new(50, 100), new(60, 200)]);
        var meter = new CpuMeter(() => ticks.Dequeue());
        meter.IdleShare(T0);
        meter.IdleShare(T0 + TimeSpan.FromSeconds(0.5)).Should().Be(0.5);

        meter.IdleShare(T0 + TimeSpan.FromSeconds(5)).Should().BeNull("two samples 4.5 s apart say nothing about the last second");
    }
}
