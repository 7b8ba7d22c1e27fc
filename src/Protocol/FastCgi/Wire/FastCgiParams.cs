using System.Buffers;
using System.Collections;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// The name-value pairs of a PARAMS stream (or a GET_VALUES_RESULT), in the order they arrived. Duplicate names
/// are kept; lookups return the last one, which is how CGI programs conventionally resolve them. Names and
/// values are bytes on the wire: the string views decode UTF-8 (invalid sequences become U+FFFD), the raw
/// views give the exact bytes.
/// </summary>
public sealed class FastCgiParams : IReadOnlyList<KeyValuePair<string, string>>
{
    private readonly byte[] _bytes;
    private readonly Entry[] _entries;
    private readonly string?[] _strings;

    private FastCgiParams(byte[] bytes, Entry[] entries)
    {
        _bytes = bytes;
        _entries = entries;
        _strings = new string?[entries.Length * 2];
    }

    public static FastCgiParams Empty { get; } = new([], []);

    public int Count => _entries.Length;

    public KeyValuePair<string, string> this[int index] => new(GetName(index), GetValue(index));

    /// <summary>Parses a complete name-value stream, copying it.</summary>
    /// <exception cref="FastCgiProtocolException">Malformed pairs or lengths over <paramref name="limits"/>.</exception>
    public static FastCgiParams Parse(ReadOnlySpan<byte> stream, FastCgiLimits? limits = null)
    {
        limits ??= FastCgiLimits.Default;
        if (stream.Length > limits.MaxParamsBytes)
        {
            throw new FastCgiProtocolException(FastCgiErrorKind.ParamsTooLarge, $"{stream.Length} bytes of name-value pairs, limit {limits.MaxParamsBytes}");
        }

        // Validate and count before allocating anything sized by the peer.
        var count = 0;
        for (var offset = 0; offset < stream.Length; count++)
        {
            offset += FastCgiNameValuePair.Read(stream[offset..], limits, out _, out _);
        }

        if (count == 0)
        {
            return Empty;
        }

        var bytes = stream.ToArray();
        var entries = new Entry[count];
        for (int i = 0, offset = 0; i < count; i++)
        {
            var length = FastCgiNameValuePair.Read(bytes.AsSpan(offset), limits, out var name, out var value);
            entries[i] = new Entry(offset + name.Start.Value, name.End.Value - name.Start.Value, offset + value.Start.Value, value.End.Value - value.Start.Value);
            offset += length;
        }

        return new FastCgiParams(bytes, entries);
    }

    /// <summary>Parses a complete name-value stream held in a sequence (e.g. the content of one record).</summary>
    public static FastCgiParams Parse(in ReadOnlySequence<byte> stream, FastCgiLimits? limits = null)
    {
        limits ??= FastCgiLimits.Default;
        if (stream.IsSingleSegment)
        {
            return Parse(stream.FirstSpan, limits);
        }

        if (stream.Length > limits.MaxParamsBytes)
        {
            throw new FastCgiProtocolException(FastCgiErrorKind.ParamsTooLarge, $"{stream.Length} bytes of name-value pairs, limit {limits.MaxParamsBytes}");
        }

        var rented = ArrayPool<byte>.Shared.Rent((int)stream.Length);
        try
        {
            stream.CopyTo(rented);
            return Parse(rented.AsSpan(0, (int)stream.Length), limits);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public string GetName(int index)
    {
        var entry = _entries[index];
        return _strings[2 * index] ??= FastCgiNameValuePair.Decode(_bytes.AsSpan(entry.NameStart, entry.NameLength));
    }

    public string GetValue(int index)
    {
        var entry = _entries[index];
        return _strings[(2 * index) + 1] ??= FastCgiNameValuePair.Decode(_bytes.AsSpan(entry.ValueStart, entry.ValueLength));
    }

    /// <summary>
    /// The whole name-value stream as it arrived, every pair in order: what a FastCGI server that passes a request on
    /// (Pm's dispatcher) sends on unchanged, so no value is decoded or re-encoded on the way.
    /// </summary>
    public ReadOnlyMemory<byte> Encoded => _bytes;

    public ReadOnlyMemory<byte> GetRawName(int index) => _bytes.AsMemory(_entries[index].NameStart, _entries[index].NameLength);

    public ReadOnlyMemory<byte> GetRawValue(int index) => _bytes.AsMemory(_entries[index].ValueStart, _entries[index].ValueLength);

    /// <summary>The value of the last pair called <paramref name="name"/>, or null.</summary>
    public string? GetValue(string name) => TryGetValue(name, out var value) ? value : null;

    public bool ContainsName(string name) => IndexOf(name) >= 0;

    public bool TryGetValue(string name, out string value)
    {
        var index = IndexOf(name);
        value = index >= 0 ? GetValue(index) : string.Empty;
        return index >= 0;
    }

    /// <summary>Index of the last pair whose name is <paramref name="name"/> (compared as UTF-8 bytes), or -1.</summary>
    public int IndexOf(string name)
    {
        var length = FastCgiNameValuePair.GetByteCount(name);
        byte[]? rented = null;
        var buffer = length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            return IndexOf(buffer[..FastCgiNameValuePair.Encode(name, buffer)]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    public int IndexOf(ReadOnlySpan<byte> name)
    {
        for (var i = _entries.Length - 1; i >= 0; i--)
        {
            var entry = _entries[i];
            if (entry.NameLength == name.Length && _bytes.AsSpan(entry.NameStart, entry.NameLength).SequenceEqual(name))
            {
                return i;
            }
        }

        return -1;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
    {
        for (var i = 0; i < _entries.Length; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private readonly record struct Entry(int NameStart, int NameLength, int ValueStart, int ValueLength);
}
