namespace Pm.Tests.FrontEnd.Support;

/// <summary>
/// A test that needs headless Chromium (Debian's chromium; scripts/setup.sh installs it). Skipped, saying why,
/// only when it is not installed and PM_TEST_CHROMIUM is not "required"; scripts/test.sh requires it, so that in CI
/// its absence is a failure. xunit 2 decides skips at discovery, hence an attribute.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (HeadlessChromium.Path is null && Environment.GetEnvironmentVariable("PM_TEST_CHROMIUM") != "required")
        {
            Skip = "chromium is not installed (apt-get install chromium, or scripts/setup.sh); PM_TEST_CHROMIUM=required makes its absence a failure";
        }
    }
}
