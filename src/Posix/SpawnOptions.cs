namespace Pm.Posix;

/// <summary>What a child gets from <see cref="PosixSpawn.Start"/>.</summary>
public sealed class SpawnOptions
{
    /// <summary>Absolute path of the executable (no PATH search).</summary>
    public required string Path { get; init; }

    /// <summary>argv, including argv[0].</summary>
    public required IReadOnlyList<string> Arguments { get; init; }

    /// <summary>The child's entire environment, as NAME=value strings.</summary>
    public IReadOnlyList<string> Environment { get; init; } = [];

    /// <summary>chdir before exec; null keeps the parent's.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>dup2(from, to) in order; the targets lose close-on-exec.</summary>
    public IReadOnlyList<(int From, int To)> Descriptors { get; init; } = [];

    /// <summary>Child becomes leader of a new process group (pgid == pid).</summary>
    public bool NewProcessGroup { get; init; } = true;

    /// <summary>Default dispositions for every signal and an empty mask, instead of the runtime's (SIGPIPE ignored).</summary>
    public bool ResetSignals { get; init; } = true;

    /// <summary>Close every descriptor above the highest dup2 target, so nothing leaks from the parent.</summary>
    public bool CloseOtherDescriptors { get; init; } = true;
}
