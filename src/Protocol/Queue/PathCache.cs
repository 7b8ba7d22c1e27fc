using System.IO.Hashing;
using System.Text;

namespace Pm.Protocol.Queue;

/// <summary>
/// A small direct-mapped cache from path bytes to the decoded string. A PM sees the same few app paths over and
/// over, so most records reuse a string instead of validating and allocating one (the queue runs at 500k
/// records/s). A miss just replaces the slot; the cache is bounded and never grows.
/// </summary>
internal sealed class PathCache
{
    private const int Slots = 256;
    private readonly byte[]?[] _bytes = new byte[Slots][];
    private readonly string?[] _strings = new string[Slots];

    /// <summary>The path as a string, or null if the bytes are not valid UTF-8 or contain NUL.</summary>
    public string? Get(ReadOnlySpan<byte> utf8)
    {
        var slot = (int)(XxHash3.HashToUInt64(utf8) & (Slots - 1));
        var cached = _bytes[slot];
        if (cached is not null && utf8.SequenceEqual(cached))
        {
            return _strings[slot];
        }

        if (utf8.Contains((byte)0) || !System.Text.Unicode.Utf8.IsValid(utf8))
        {
            return null;
        }

        var s = Encoding.UTF8.GetString(utf8);
        _bytes[slot] = utf8.ToArray();
        _strings[slot] = s;
        return s;
    }
}
