using System.Diagnostics;

namespace Pm.Tests.Fixtures;

/// <summary>C example apps compiled once per test run (cc and libfcgi-dev come from the test set-up script).</summary>
public static class NativeApps
{
    private static readonly Lazy<string> HelloCBuilt = new(() => Compile("examples/apps/hello-c/hello.c", "hello-c", "-lfcgi"));

    /// <summary>The libfcgi hello responder from examples/apps/hello-c.</summary>
    public static string HelloC => HelloCBuilt.Value;

    /// <summary>Compiles a C source of the repository (warnings shown as errors would be) into this run's build folder.</summary>
    public static string Compile(string source, string name, string libs)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"pm-test-build-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        var output = Path.Combine(dir, name);
        var info = new ProcessStartInfo("cc", ["-O2", "-Wall", "-o", output, Path.Combine(Paths.RepoRoot, source), libs])
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
