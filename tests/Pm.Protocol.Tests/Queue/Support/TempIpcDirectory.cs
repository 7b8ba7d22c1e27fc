namespace Pm.Protocol.Tests.Queue.Support;

/// <summary>A fresh, not yet existing IPC directory path under the temp dir; removed with everything in it on dispose.</summary>
public sealed class TempIpcDirectory : IDisposable
{
    private readonly string _parent;

    public TempIpcDirectory()
    {
        _parent = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pm-queue-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_parent);
        Path = System.IO.Path.Combine(_parent, "ipc");
    }

    /// <summary>The IPC directory; QueueReader creates it (0700) when it does not exist.</summary>
    public string Path { get; }

    public string Fifo => System.IO.Path.Combine(Path, "queue");

    public string Spool => System.IO.Path.Combine(Path, "queue.spool");

    public string SpoolReplay => System.IO.Path.Combine(Path, "queue.spool.replay");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_parent, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
