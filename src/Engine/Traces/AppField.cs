using System.Text;

namespace Pm.Engine;

/// <summary>
/// The app column: app ids are paths and may hold any character, so the few that would break a CSV line
/// (',', '%', '#', control characters, and spaces at either end, which the reader trims) are written as %XX of their
/// UTF-8 bytes.
/// </summary>
internal static class AppField
{
    public const int MaxBytes = 1024;

    public static string Encode(string app)
    {
        var builder = new StringBuilder(app.Length);
        Span<byte> utf8 = stackalloc byte[4];
        var index = 0;
        foreach (var rune in app.EnumerateRunes())
        {
            var atEnd = index == 0 || index + rune.Utf16SequenceLength == app.Length;
            index += rune.Utf16SequenceLength;
            if (rune.Value is ',' or '%' or '#' || rune.Value < 0x20 || rune.Value == 0x7f || (atEnd && rune.Value == ' '))
            {
                var n = rune.EncodeToUtf8(utf8);
                for (var i = 0; i < n; i++)
                {
                    builder.Append('%').Append(utf8[i].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            else
            {
                builder.Append(rune.ToString());
            }
        }

        return builder.ToString();
    }

    /// <summary>Decodes a field; null with <paramref name="error"/> set when it is malformed.</summary>
    public static string? Decode(ReadOnlySpan<byte> field, out string? error)
    {
        error = null;
        if (field.Length == 0)
        {
            error = "the app is empty";
            return null;
        }

        if (field.Length > MaxBytes)
        {
            error = $"the app is longer than {MaxBytes} bytes";
            return null;
        }

        Span<byte> decoded = stackalloc byte[field.Length];
        var length = 0;
        for (var i = 0; i < field.Length; i++)
        {
            var b = field[i];
            if (b == (byte)'%')
            {
                if (i + 2 >= field.Length || !TryHex(field[i + 1], out var hi) || !TryHex(field[i + 2], out var lo))
                {
                    error = "the app has a '%' not followed by two hex digits";
                    return null;
                }

                decoded[length++] = (byte)((hi << 4) | lo);
                i += 2;
            }
            else
            {
                decoded[length++] = b;
            }
        }

        try
        {
            return new UTF8Encoding(false, true).GetString(decoded[..length]);
        }
        catch (DecoderFallbackException)
        {
            error = "the app is not valid UTF-8";
            return null;
        }
    }

    private static bool TryHex(byte c, out int value)
    {
        value = c switch
        {
            >= (byte)'0' and <= (byte)'9' => c - '0',
            >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
            _ => -1,
        };
        return value >= 0;
    }
}
