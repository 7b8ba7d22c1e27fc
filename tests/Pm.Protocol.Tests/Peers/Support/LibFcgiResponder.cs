using System.Diagnostics;
using Pm.Protocol.Tests.FastCgi.Support;

namespace Pm.Protocol.Tests.Peers.Support;

/// <summary>hello_responder.c compiled against libfcgi, once per test class, into a temp directory.</summary>
public sealed class LibFcgiResponder : IDisposable
{
    private readonly TempDirectory _directory = new();

    public LibFcgiResponder()
    {
        Path = _directory.File("hello_responder");
        var source = System.IO.Path.Combine(RepositoryPaths.PeersSource, "hello_responder.c");
        using var cc = Process.Start(new ProcessStartInfo("cc", ["-std=c99", "-O1", "-Wall", "-o", Path, source, "-lfcgi"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        var errors = cc.StandardError.ReadToEndAsync();
        if (!cc.WaitForExit(60_000))
        {
            cc.Kill();
            throw new TimeoutException("cc did not finish within a minute");
        }

        if (cc.ExitCode != 0)
        {
            throw new InvalidOperationException($"compiling {source} failed:\n{errors.Result}");
        }
    }

    public string Path { get; }

    public void Dispose() => _directory.Dispose();
}
