using Pm.Config;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Config;

/// <summary>-max-requests, -max-requests-jitter, -memory-limit and -memory-check-interval as the config reads them.</summary>
public sealed class RecycleLimitsTests : IDisposable
{
    private readonly TestDirectory _dir = new();
    private readonly string _app;

    public RecycleLimitsTests()
    {
        _app = _dir.Write("app.fcgi", "#!/bin/sh\n");
        File.SetUnixFileMode(_app, (UnixFileMode)0x1ED);
    }

    public void Dispose() => _dir.Dispose();

    private PmConfig Parse(string text) => ConfigParser.ParseText(_dir.File("pm.conf"), text);

    [Theory]
    [InlineData("256M", 256L << 20)]
    [InlineData("256MB", 256L << 20)]
    [InlineData("1G", 1L << 30)]
    [InlineData("512k", 512L << 10)]
    [InlineData("1048576", 1L << 20)]
    public void ParseSize_ReadsBinarySuffixes(string text, long bytes) => RecycleLimits.ParseSize(text).Should().Be(bytes);

    [Theory]
    [InlineData("")]
    [InlineData("M")]
    [InlineData("-5M")]
    [InlineData("1.5G")]
    [InlineData("12X")]
    [InlineData("99999999999999999999")]
    public void ParseSize_RefusesWhatIsNotASize(string text) => RecycleLimits.ParseSize(text).Should().BeNull();

    [Fact]
    public void StaticApp_TakesItsLimits_AndTheyAreOffByDefault()
    {
        var other = _dir.Write("b.fcgi", "#!/bin/sh\n");
        File.SetUnixFileMode(other, (UnixFileMode)0x1ED);
        var config = Parse($"""
            FastCgiServer {_app} -socket a -max-requests 500 -max-requests-jitter 50 -memory-limit 256M -memory-check-interval 2.5
            FastCgiServer {other} -socket b
            """);

        var limits = config.StaticApps[0].Limits.Recycling;
        limits.Should().Be(new RecycleLimits(500, 50, 256L << 20, TimeSpan.FromSeconds(2.5)));
        config.StaticApps[1].Limits.Recycling.Should().Be(RecycleLimits.None);
        config.StaticApps[1].Limits.Recycling.Any.Should().BeFalse();
    }

    [Fact]
    public void DynamicRoot_OverridesFastCgiConfigsLimits()
    {
        var config = Parse($"""
            FastCgiConfig -max-requests 1000 -memory-limit 1G
            PmDynamicRoot /a {_dir.Path} -max-requests 10
            PmDynamicRoot /b {_dir.Path}
            """);

        config.Dynamic.Limits.Recycling.Should().Be(new RecycleLimits(1000, 0, 1L << 30, TimeSpan.FromSeconds(5)));
        config.DynamicRoots[0].Recycle.Should().Be(new RecycleLimits(10, 0, 1L << 30, TimeSpan.FromSeconds(5)));
        config.DynamicRoots[1].Recycle.Should().Be(config.Dynamic.Limits.Recycling);
    }

    [Theory]
    [InlineData("-memory-limit lots", "-memory-limit \"lots\" is not a size")]
    [InlineData("-memory-limit 100k", "under 1M")]
    [InlineData("-max-requests -1", "max-requests")]
    public void BadLimit_IsRefusedWithFileAndLine(string options, string message)
    {
        var act = () => Parse($"# two lines before\n\nFastCgiServer {_app} {options}");

        var error = act.Should().Throw<ConfigException>().Which.Errors.Should().ContainSingle().Subject;
        error.Line.Should().Be(3);
        error.File.Should().Be(_dir.File("pm.conf"));
        error.Message.Should().Contain(message);
    }

    [Fact]
    public void Jitter_GivesEachInstanceALimitInItsRange()
    {
        var limits = new RecycleLimits(50, 10, 0, TimeSpan.FromSeconds(5));
        var random = new Random(7);

        var drawn = Enumerable.Range(0, 1000).Select(_ => limits.RequestLimitFor(random)).ToList();

        drawn.Should().OnlyContain(n => n >= 50 && n <= 60);
        drawn.Distinct().Should().HaveCount(11, "every value from 50 to 60 is drawn");
        RecycleLimits.None.RequestLimitFor(random).Should().Be(0, "no -max-requests: no limit");
    }
}
