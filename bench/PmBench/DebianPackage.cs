using System.Diagnostics;

namespace Pm.Bench;

/// <summary>Whether a Debian package is installed (dpkg-query), for benchmarks that skip a peer that is not.</summary>
public static class DebianPackage
{
    public static bool IsInstalled(string name)
    {
        try
        {
            using var query = Process.Start(new ProcessStartInfo("dpkg-query", ["-W", "-f=${Status}", name])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            var status = query.StandardOutput.ReadToEnd();
            query.WaitForExit();
            return query.ExitCode == 0 && status.Contains("install ok installed", StringComparison.Ordinal);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no dpkg-query: not a Debian machine
        }
    }
}
