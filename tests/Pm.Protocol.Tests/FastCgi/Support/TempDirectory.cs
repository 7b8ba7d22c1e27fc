namespace Pm.Protocol.Tests.FastCgi.Support;

/// <summary>A fresh directory under /tmp, removed on dispose. Kept short: Unix socket paths are limited to 107 bytes.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("pmfcgi-").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A peer still writing its log: leave it to the system's tmp cleaning.
        }
    }
}
