using Pm.Shared;

namespace Pm.Protocol.Tests.Shared;

// src/Shared/DurationFormat.cs is compiled into Policy, Protocol and Simulation alike; this tests Protocol's copy.
public sealed class DurationFormatTests
{
    [Theory]
    [InlineData(1500, "1.5 s")]
    [InlineData(250, "0.25 s")]
    [InlineData(60_000, "60 s")]
    [InlineData(0, "0 s")]
    [InlineData(1, "0.001 s")]
    public void Seconds_Milliseconds_AtMostThreeDecimalsTrailingZerosDropped(int milliseconds, string expected) =>
        DurationFormat.Seconds(TimeSpan.FromMilliseconds(milliseconds)).Should().Be(expected);

    [Fact]
    public void Seconds_BelowHalfAMillisecond_RoundsToZero() =>
        DurationFormat.Seconds(TimeSpan.FromMicroseconds(400)).Should().Be("0 s");

    [Fact]
    public void Seconds_Negative_KeepsTheSign() =>
        DurationFormat.Seconds(TimeSpan.FromMilliseconds(-1500)).Should().Be("-1.5 s");

    [Theory]
    [InlineData(0, "13 s")]
    [InlineData(1, "12.7 s")]
    [InlineData(2, "12.68 s")]
    [InlineData(7, "12.6789 s")]
    public void Seconds_FewerDecimals_RoundsToThem(int decimals, string expected) =>
        DurationFormat.Seconds(TimeSpan.FromMilliseconds(12_678.9), decimals).Should().Be(expected);

    [Theory]
    [InlineData(-1)]
    [InlineData(8)]
    public void Seconds_DecimalsOutOfRange_Throws(int decimals)
    {
        var act = () => DurationFormat.Seconds(TimeSpan.FromSeconds(1), decimals);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory]
    [InlineData(1500, "1.500 s")]
    [InlineData(0, "0.000 s")]
    [InlineData(12_345, "12.345 s")]
    public void SecondsFixed_AnyValue_ExactlyThreeDecimals(int milliseconds, string expected) =>
        DurationFormat.SecondsFixed(TimeSpan.FromMilliseconds(milliseconds)).Should().Be(expected);

    [Theory]
    [InlineData(50_000, "50 ms")]
    [InlineData(500, "0.5 ms")]
    [InlineData(1, "0.001 ms")]
    public void Milliseconds_AnyValue_EveryDigit(long microseconds, string expected) =>
        DurationFormat.Milliseconds(TimeSpan.FromMicroseconds(microseconds)).Should().Be(expected);
}
