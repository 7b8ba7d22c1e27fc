using System.Text;

namespace Pm.Posix;

/// <summary>NUL-terminated UTF-8 for path arguments; a path with an embedded NUL is refused, not truncated.</summary>
internal static class NativePath
{
    public static byte[] Encode(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Contains('\0'))
        {
            throw new ArgumentException($"path '{path.Replace("\0", "\\0")}' contains a NUL character", nameof(path));
        }

        var bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }
}
