using System.Diagnostics;

namespace Pm.Protocol.Tests.Queue.Support;

/// <summary>Runs small system tools (chown, chmod, ln) that .NET has no API for, with a timeout.</summary>
public static class Shell
{
    public static void Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        if (!p.WaitForExit(10_000))
        {
            p.Kill();
            p.WaitForExit();
            throw new TimeoutException($"{tool} did not finish");
        }

        p.ExitCode.Should().Be(0, $"{tool} {string.Join(' ', args)}: {p.StandardError.ReadToEnd()}");
    }
}
