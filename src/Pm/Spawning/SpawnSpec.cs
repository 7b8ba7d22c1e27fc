using Pm.Config;

namespace Pm.Spawning;

/// <summary>What an instance is started with; built from an app's config.</summary>
public sealed record SpawnSpec(
    string AppName,
    string Executable,
    IReadOnlyList<string> Arguments,
    IReadOnlyList<string> Environment,
    string WorkingDirectory,
    int ListenDescriptor,
    int Priority,
    UserIdentity? RunAs,
    string? Wrapper)
{
    /// <summary>Whether its instances get libpm-shim.so and a page that counts their requests (apps: yes; web processes: no).</summary>
    public bool CountsRequests { get; init; }
}
