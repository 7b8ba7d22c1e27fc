namespace Pm.Protocol.Queue;

/// <summary>The queue's files in the IPC directory.</summary>
public sealed record QueuePaths
{
    public QueuePaths(string ipcDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(ipcDirectory);
        Directory = Path.GetFullPath(ipcDirectory);
        Fifo = Path.Combine(Directory, "queue");
        Spool = Path.Combine(Directory, "queue.spool");
        SpoolNext = Path.Combine(Directory, "queue.spool.next");
        SpoolReplay = Path.Combine(Directory, "queue.spool.replay");
    }

    public string Directory { get; }

    /// <summary>The FIFO every record is written to while a PM reads it.</summary>
    public string Fifo { get; }

    /// <summary>Append-only file for records written while no PM reads (or while it is too slow).</summary>
    public string Spool { get; }

    /// <summary>The empty spool the reader prepares before swapping it in.</summary>
    public string SpoolNext { get; }

    /// <summary>The spool taken out of service and being replayed; left behind only by a PM that died while replaying.</summary>
    public string SpoolReplay { get; }
}
