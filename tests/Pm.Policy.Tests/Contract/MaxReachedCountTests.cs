namespace Pm.Policy.Tests.Contract;

public sealed class MaxReachedCountTests
{
    [Fact]
    public void EachStretchHeldBack_CountsOnce()
    {
        var count = new MaxReachedCount();
        count.Held(false);
        count.Count.Should().Be(0);
        count.Held(true);
        count.Held(true);
        count.Held(true);
        count.Count.Should().Be(1);
        count.AtMax.Should().BeTrue();
        count.Held(false);
        count.AtMax.Should().BeFalse();
        count.Held(true);
        count.Count.Should().Be(2);
    }
}
