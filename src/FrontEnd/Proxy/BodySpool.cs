namespace Pm.FrontEnd.Proxy;

/// <summary>
/// Where a web process puts request bodies too big to hold in memory: a private directory (mkdtemp, 0700) under the
/// system's temporary directory ($TMPDIR or /tmp), made on the first body that needs it and removed when the web
/// process stops. Each file is unlinked right after it is created, so it has no name while it is used: nobody else
/// can open it, and a web process that is killed leaves no body behind (only, then, the empty directory).
/// Not the IPC dir: that is often /run, a tmpfs, where a "file" is memory again.
/// </summary>
internal sealed class BodySpool : IDisposable
{
    private readonly object _lock = new();
    private string? _directory;
    private long _next;
    private bool _disposed;

    /// <summary>The directory, once a body has needed it (for tests and the log).</summary>
    public string? Directory => _directory;

    /// <summary>A new, nameless read-write file; throws IOException (full disk, no temporary directory) with the path.</summary>
    public FileStream Create()
    {
        string path;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _directory ??= System.IO.Directory.CreateTempSubdirectory("pm-body-").FullName;
            path = Path.Combine(_directory, (++_next).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            Options = FileOptions.Asynchronous,
        });
        try
        {
            File.Delete(path);
        }
        catch
        {
            file.Dispose();
            throw;
        }

        return file;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            if (_directory is { } directory)
            {
                _directory = null;
                try
                {
                    System.IO.Directory.Delete(directory, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Gone already, or the system's cleaner of /tmp took it: nothing of ours is left either way.
                }
            }
        }
    }
}
