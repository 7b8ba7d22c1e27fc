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
    /// <summary>
    /// Whether its instances get libpm-shim.so and a page that counts the connections they take and lets the PM stop
    /// them taking more: requests for an app; for the web processes, HTTP connections (a retiring one takes no new one).
    /// </summary>
    public bool CountsRequests { get; init; }

    /// <summary>
    /// More descriptors the PM owns, each placed on the child's descriptor number given (the web processes get the
    /// dispatcher's FastCGI listening socket this way, beside the HTTP one on fd 0). Numbers 0-3 are taken.
    /// </summary>
    public IReadOnlyList<(int From, int To)> ExtraDescriptors { get; init; } = [];
}
