namespace Pm.Protocol.Queue;

/// <summary>The reader refused the IPC directory or a queue file: wrong owner, wrong type, or unsafe permissions.</summary>
public sealed class QueueSetupException : IOException
{
    public QueueSetupException(string path, string problem)
        : base($"queue: {path}: {problem}")
    {
        Path = path;
        Problem = problem;
    }

    public string Path { get; }

    public string Problem { get; }
}
