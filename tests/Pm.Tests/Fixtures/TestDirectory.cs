namespace Pm.Tests.Fixtures;

/// <summary>
/// A fresh directory per test. Every program a test starts is reached through a link in here, so its command
/// line carries the directory's unique path and <see cref="ProcessScan"/> can find anything left behind.
/// </summary>
public sealed class TestDirectory : IDisposable
{
    public TestDirectory()
    {
        // Short: Unix socket paths inside must fit in 107 bytes.
        Path = System.IO.Path.Combine("/tmp", "pmt-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string IpcDir => System.IO.Path.Combine(Path, "ipc");

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>A symbolic link named <paramref name="name"/> in here, to <paramref name="target"/>.</summary>
    public string Link(string name, string target)
    {
        var link = File(name);
        System.IO.File.CreateSymbolicLink(link, target);
        return link;
    }

    public string Write(string name, string text)
    {
        var path = File(name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
