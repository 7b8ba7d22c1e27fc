using System.Reflection;
using System.Runtime.CompilerServices;

namespace Pm.Protocol.Tests.Peers.Support;

/// <summary>Files of this repository the peer tests need: the C responder's source and the Hello app's build.</summary>
internal static class RepositoryPaths
{
    /// <summary>This folder in the source tree (tests run on the machine that built them).</summary>
    public static string PeersSource { get; } = Path.GetDirectoryName(ThisFile())!;

    public static string Root { get; } = Path.GetFullPath(Path.Combine(PeersSource, "..", "..", ".."));

    /// <summary>hello.dll from the same configuration as this test assembly (the test project references Hello for build order).</summary>
    public static string HelloAssembly
    {
        get
        {
            var configuration = typeof(RepositoryPaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
            return Path.Combine(Root, "examples", "apps", "Hello", "bin", configuration, "net10.0", "hello.dll");
        }
    }

    private static string ThisFile([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
