using Pm.Shared;

namespace Pm.Protocol.Tests.Shared;

// src/Shared/ExponentialBackoff.cs is compiled into Policy and Protocol alike; this tests Protocol's copy.
public sealed class ExponentialBackoffTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(5, 32)]
    public void Delay_BelowTheCap_DoublesPerStep(int doublings, int seconds) =>
        ExponentialBackoff.Delay(Second, doublings, TimeSpan.FromMinutes(1)).Should().Be(TimeSpan.FromSeconds(seconds));

    [Fact]
    public void Delay_AtOrAboveTheCap_IsTheCap()
    {
        ExponentialBackoff.Delay(Second, 6, TimeSpan.FromSeconds(60)).Should().Be(TimeSpan.FromSeconds(60));
        ExponentialBackoff.Delay(Second, 6, TimeSpan.FromSeconds(64)).Should().Be(TimeSpan.FromSeconds(64));
    }

    [Fact]
    public void Delay_FirstAboveTheCap_IsTheCap() =>
        ExponentialBackoff.Delay(TimeSpan.FromSeconds(5), 0, Second).Should().Be(Second);

    [Fact]
    public void Delay_HugeDoublings_CountAsMaxDoublingsWithoutOverflow()
    {
        ExponentialBackoff.Delay(TimeSpan.FromTicks(1), int.MaxValue, TimeSpan.MaxValue)
            .Should().Be(TimeSpan.FromTicks(1L << ExponentialBackoff.MaxDoublings));
        ExponentialBackoff.Delay(TimeSpan.FromDays(1), int.MaxValue, TimeSpan.FromDays(2)).Should().Be(TimeSpan.FromDays(2));
    }

    [Fact]
    public void Delay_ZeroFirst_IsZero() =>
        ExponentialBackoff.Delay(TimeSpan.Zero, 10, Second).Should().Be(TimeSpan.Zero);

    [Fact]
    public void Delay_NegativeDoublings_Throws()
    {
        var act = () => ExponentialBackoff.Delay(Second, -1, Second);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}
