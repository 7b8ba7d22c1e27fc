using Pm.Status;

namespace Pm.Tests.Status;

public sealed class FixedRingTests
{
    [Fact]
    public void Items_BeforeItFills_AreInTheOrderAdded()
    {
        var ring = new FixedRing<int>(4);
        ring.Add(1);
        ring.Add(2);

        ring.Items().Should().Equal(1, 2);
        ring.Last.Should().Be(2);
    }

    [Fact]
    public void Add_PastCapacity_DropsTheOldest()
    {
        var ring = new FixedRing<int>(3);
        for (var i = 1; i <= 7; i++)
        {
            ring.Add(i);
        }

        ring.Items().Should().Equal(5, 6, 7);
        ring.Count.Should().Be(3);
        ring.Last.Should().Be(7);
    }

    [Fact]
    public void Last_Empty_Throws() => FluentActions.Invoking(() => new FixedRing<int>(2).Last).Should().Throw<InvalidOperationException>();

    [Fact]
    public void New_ZeroCapacity_Throws() => FluentActions.Invoking(() => new FixedRing<int>(0)).Should().Throw<ArgumentOutOfRangeException>();
}
