using System.Text.RegularExpressions;
using Pm.Tests.Fixtures;

namespace Pm.Tests.Packaging;

/// <summary>
/// A test of the built .deb (packaging/build-deb.sh; scripts/test.sh builds it). It is skipped, saying why, only
/// when the package was not built and PM_TEST_DEB does not require it; CI sets PM_TEST_DEB=required, and
/// PM_TEST_DEB=PATH names another .deb. xunit 2 decides skips at discovery, hence an attribute.
/// </summary>
public sealed partial class DebFactAttribute : FactAttribute
{
    public DebFactAttribute()
    {
        if (Package is null && !Required)
        {
            Skip = $"no {Expected} (packaging/build-deb.sh or scripts/test.sh builds it; PM_TEST_DEB=required makes its absence a failure)";
        }
    }

    public static bool Required => Environment.GetEnvironmentVariable("PM_TEST_DEB") == "required";

    /// <summary>The .deb to test, or null when there is none.</summary>
    public static string? Package => Environment.GetEnvironmentVariable("PM_TEST_DEB") is { Length: > 0 } named && named != "required"
        ? named
        : File.Exists(Expected) ? Expected : null;

    /// <summary>artifacts/pm_VERSION_amd64.deb, the version read where build-deb.sh reads it.</summary>
    public static string Expected
    {
        get
        {
            var props = File.ReadAllText(Path.Combine(Paths.RepoRoot, "Directory.Build.props"));
            return Path.Combine(Paths.RepoRoot, "artifacts", $"pm_{VersionElement().Match(props).Groups[1].Value}_amd64.deb");
        }
    }

    [GeneratedRegex("<Version>([^<]+)</Version>")]
    private static partial Regex VersionElement();
}
