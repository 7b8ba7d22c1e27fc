using Pm.Policy;

namespace Pm.Policy.Tests.Demand;

public class WorkingLevelsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(double seconds) => T0.AddSeconds(seconds);

    [Fact]
    public void Mean_IsNullUntilALevelIsRecorded_ThenThatLevel()
    {
        var levels = new WorkingLevels();
        levels.Mean(T0).Should().BeNull();

        levels.Record(At(1), 3);

        levels.Mean(At(0.5)).Should().Be(3, "before the first level kept, it is taken as that one");
        levels.Mean(At(1)).Should().Be(3);
    }

    [Fact]
    public void Mean_WeighsEachStretchByItsLength_AndALevelChangeAsALine()
    {
        var levels = new WorkingLevels();
        levels.Record(At(0), 2);
        levels.Record(At(0.06), 2);
        levels.Record(At(0.07), 8);

        // 60 ms at 2, then 10 ms from 2 to 8 (5 on average): (0.12 + 0.05) / 0.07.
        levels.Mean(At(0)).Should().BeApproximately(0.17 / 0.07, 1e-9);
        // From halfway through the change: 5 to 8 over 5 ms.
        levels.Mean(At(0.065)).Should().BeApproximately(6.5, 1e-9);
    }

    [Fact]
    public void Trim_KeepsTheLastLevelBeforeTheWindow_SoTheMeanStillCoversItsStart()
    {
        var levels = new WorkingLevels();
        for (var i = 0; i <= 20; i++)
        {
            levels.Record(At(i * 0.1), i < 15 ? 1 : 5);
        }

        levels.Trim(At(1.05));

        levels.Count.Should().Be(11, "the levels at 1.0 s (before the window) to 2.0 s");
        levels.Mean(At(1.05)).Should().BeApproximately(((0.35 * 1) + (0.1 * 3) + (0.5 * 5)) / 0.95, 1e-9);
    }

    [Fact]
    public void Record_AtTheSameInstant_ReplacesTheLevel()
    {
        var levels = new WorkingLevels();
        levels.Record(At(0), 1);
        levels.Record(At(0), 4);

        levels.Count.Should().Be(1);
        levels.Mean(At(0)).Should().Be(4);
    }
}
