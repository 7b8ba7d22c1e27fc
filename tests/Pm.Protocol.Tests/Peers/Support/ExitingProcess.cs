using System.Diagnostics;
using Pm.Protocol.Tests.FastCgi.Support;

namespace Pm.Protocol.Tests.Peers.Support;

/// <summary>
/// A short-lived program run to completion (cgi-fcgi): input written, output collected, killed and checked
/// gone if it outlives the upper bound.
/// </summary>
internal static class ExitingProcess
{
    public static async Task<(int ExitCode, byte[] Output, string Errors)> RunAsync(string file, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, byte[] input)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/bin:/bin";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        try
        {
            var output = new MemoryStream();
            var reading = process.StandardOutput.BaseStream.CopyToAsync(output);
            var errors = process.StandardError.ReadToEndAsync();
            await process.StandardInput.BaseStream.WriteAsync(input);
            process.StandardInput.Close();
            await process.WaitForExitAsync().WaitAsync(TestTimeouts.Operation);
            await reading.WaitAsync(TestTimeouts.Operation);
            return (process.ExitCode, output.ToArray(), await errors);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.HasExited.Should().BeTrue();
            Directory.Exists($"/proc/{process.Id}").Should().BeFalse($"{file} (pid {process.Id}) must be gone");
        }
    }
}
