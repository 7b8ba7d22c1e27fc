namespace Pm.Posix;

/// <summary>How a child ended, decoded from waitpid's status word.</summary>
public readonly record struct WaitStatus(int Raw)
{
    public bool Exited => (Raw & 0x7f) == 0;

    public int ExitCode => (Raw >> 8) & 0xff;

    public bool Signaled => (Raw & 0x7f) != 0 && (Raw & 0x7f) != 0x7f;

    public int TermSignal => Raw & 0x7f;

    public bool CoreDumped => (Raw & 0x80) != 0;

    /// <summary>Exited with status 0.</summary>
    public bool Clean => Exited && ExitCode == 0;

    public override string ToString() =>
        Exited ? $"exit code {ExitCode}"
        : Signaled ? $"killed by {Signals.Name(TermSignal)}{(CoreDumped ? " (core dumped)" : "")}"
        : $"status 0x{Raw:x}";
}
