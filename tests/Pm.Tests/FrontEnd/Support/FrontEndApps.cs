using System.Diagnostics;
using Pm.Tests.Fixtures;

namespace Pm.Tests.FrontEnd.Support;

/// <summary>The front end's C test app (tests/Pm.Tests/Apps/fcgi-test.c), compiled once per test run.</summary>
public static class FrontEndApps
{
    private static readonly Lazy<string> FcgiTestBuilt = new(() => Compile("tests/Pm.Tests/Apps/fcgi-test.c", "fcgi-test"));

    /// <summary>The libfcgi test responder; see the modes in its source.</summary>
    public static string FcgiTest => FcgiTestBuilt.Value;

    public const string PhpCgi = "/usr/bin/php-cgi";

    private static string Compile(string source, string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"pm-test-build-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        var output = Path.Combine(dir, name);
        var info = new ProcessStartInfo("cc", ["-O2", "-Wall", "-o", output, Path.Combine(Paths.RepoRoot, source), "-lfcgi"])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var cc = Process.Start(info)!;
        var errors = cc.StandardError.ReadToEnd();
        if (!cc.WaitForExit(60_000) || cc.ExitCode != 0)
        {
            throw new InvalidOperationException($"cc {source} failed (is libfcgi-dev installed? scripts/test.sh installs it): {errors}");
        }

        return output;
    }
}
