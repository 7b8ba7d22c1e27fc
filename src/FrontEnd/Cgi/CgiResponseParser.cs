using System.Buffers;
using System.Text;
using Microsoft.Net.Http.Headers;

namespace Pm.FrontEnd.Cgi;

/// <summary>
/// Parses the header block at the start of a CGI response (RFC 3875 §6):
/// <code>
/// response      = header-block CRLF body
/// header-block  = *( header-field NL )        ; NL is LF or CRLF
/// header-field  = name ":" [ OWS value OWS ]
/// special       = "Status:" 3DIGIT [ SP reason ] | "Location:" URI | "Content-Type:" media-type
/// </code>
/// Constraints: the block arrives in pieces of any size; lines are consumed as soon as they are complete, so a
/// block is parsed once however it is cut; its total size is checked against a limit before anything past a line
/// is kept, so an app cannot make the front end buffer more than the limit. Anything malformed throws
/// <see cref="CgiResponseException"/> (the front end answers 502): folded lines, a name that is not a token,
/// control characters, an unparsable Status or Content-Length, and a block that has neither Content-Type nor
/// Location (except for 204 and 304, which have no body to describe). Bytes above 0x7F in values are kept as
/// ISO-8859-1, which is how HTTP/1.1 carries them.
/// </summary>
public static class CgiResponseParser
{
    /// <summary>Default limit of the header block: 64 KiB (Apache allows 8 KiB per line, nginx 4-8 KiB in all).</summary>
    public const int DefaultMaxHeaderBytes = 64 * 1024;

    private static readonly string[] KnownNames =
    [
        HeaderNames.CacheControl, HeaderNames.SetCookie, HeaderNames.Expires, HeaderNames.LastModified, HeaderNames.ETag,
        HeaderNames.Pragma, HeaderNames.Vary, HeaderNames.XPoweredBy, HeaderNames.ContentEncoding, HeaderNames.ContentLanguage,
        HeaderNames.ContentDisposition, HeaderNames.Date, HeaderNames.Server, HeaderNames.AccessControlAllowOrigin,
        HeaderNames.XFrameOptions, HeaderNames.XContentTypeOptions, HeaderNames.ContentSecurityPolicy, HeaderNames.Allow,
        HeaderNames.WWWAuthenticate, HeaderNames.RetryAfter, HeaderNames.AcceptRanges, HeaderNames.ContentRange,
        HeaderNames.StrictTransportSecurity, HeaderNames.Link, HeaderNames.Age,
    ];

    /// <summary>
    /// Consumes the complete lines at the start of <paramref name="buffer"/> into <paramref name="head"/>. Returns true
    /// once the empty line that ends the block has been consumed (the body starts at <paramref name="buffer"/>), false
    /// when more bytes are needed (call again with the unconsumed rest plus what arrives).
    /// </summary>
    /// <exception cref="CgiResponseException">The block is malformed or longer than <paramref name="maxHeaderBytes"/>.</exception>
    public static bool TryParse(ref ReadOnlySequence<byte> buffer, CgiResponseHead head, int maxHeaderBytes = DefaultMaxHeaderBytes)
    {
        while (true)
        {
            var reader = new SequenceReader<byte>(buffer);
            if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            {
                if (head.BytesRead + buffer.Length > maxHeaderBytes)
                {
                    throw new CgiResponseException($"the response header block is longer than {maxHeaderBytes} bytes");
                }

                return false;
            }

            head.BytesRead += (int)reader.Consumed;
            if (head.BytesRead > maxHeaderBytes)
            {
                throw new CgiResponseException($"the response header block is longer than {maxHeaderBytes} bytes");
            }

            buffer = buffer.Slice(reader.Position);
            if (line.Length == 0 || (line.Length == 1 && line.FirstSpan[0] == (byte)'\r'))
            {
                Validate(head);
                return true;
            }

            if (line.IsSingleSegment)
            {
                ParseLine(line.FirstSpan, head);
            }
            else
            {
                var copy = ArrayPool<byte>.Shared.Rent((int)line.Length);
                try
                {
                    line.CopyTo(copy);
                    ParseLine(copy.AsSpan(0, (int)line.Length), head);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(copy);
                }
            }
        }
    }

    /// <summary>Checks a complete block: something must say what the body is, or where to go instead.</summary>
    private static void Validate(CgiResponseHead head)
    {
        if (head.ContentType is null && head.Location is null && head.Status is not (204 or 304))
        {
            throw new CgiResponseException("the response has neither a Content-Type nor a Location header");
        }
    }

    private static void ParseLine(ReadOnlySpan<byte> line, CgiResponseHead head)
    {
        if (line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (line[0] is (byte)' ' or (byte)'\t')
        {
            throw new CgiResponseException($"folded header line (obsolete line folding is not accepted): '{Show(line)}'");
        }

        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            throw new CgiResponseException($"header line without a name and a colon: '{Show(line)}'");
        }

        var name = line[..colon];
        foreach (var b in name)
        {
            if (!IsTokenChar(b))
            {
                throw new CgiResponseException($"header name '{Show(name)}' contains a character that is not allowed in a name");
            }
        }

        var value = line[(colon + 1)..].Trim(" \t"u8);
        foreach (var b in value)
        {
            if ((b < 0x20 && b != (byte)'\t') || b == 0x7F)
            {
                throw new CgiResponseException($"header '{Show(name)}' has a control character in its value");
            }
        }

        if (Ascii.EqualsIgnoreCase(name, "Status"u8))
        {
            ParseStatus(value, head);
        }
        else if (Ascii.EqualsIgnoreCase(name, "Location"u8))
        {
            if (value.IsEmpty)
            {
                throw new CgiResponseException("empty Location header");
            }

            head.Location = Encoding.Latin1.GetString(value);
        }
        else if (Ascii.EqualsIgnoreCase(name, "Content-Type"u8))
        {
            head.ContentType = value.IsEmpty ? null : Encoding.Latin1.GetString(value);
        }
        else if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
        {
            if (!TryParseLength(value, out var length) || (head.ContentLength is { } earlier && earlier != length))
            {
                throw new CgiResponseException($"invalid Content-Length '{Show(value)}'");
            }

            head.ContentLength = length;
        }
        else if (!IsHopByHop(name))
        {
            head.Add(NameOf(name), Encoding.Latin1.GetString(value));
        }
    }

    private static void ParseStatus(ReadOnlySpan<byte> value, CgiResponseHead head)
    {
        if (head.Status != 0)
        {
            throw new CgiResponseException("Status header given twice");
        }

        if (value.Length < 3 || !IsDigit(value[0]) || !IsDigit(value[1]) || !IsDigit(value[2]) ||
            (value.Length > 3 && value[3] != (byte)' '))
        {
            throw new CgiResponseException($"invalid Status '{Show(value)}': it must be three digits and an optional reason");
        }

        var code = ((value[0] - '0') * 100) + ((value[1] - '0') * 10) + (value[2] - '0');
        if (code is < 200 or > 599)
        {
            throw new CgiResponseException($"invalid Status {code}: a final response is 200 to 599");
        }

        head.Status = code;
        var reason = value.Length > 4 ? value[4..].Trim(" \t"u8) : default;
        head.Reason = reason.IsEmpty ? null : Encoding.Latin1.GetString(reason);
    }

    private static bool TryParseLength(ReadOnlySpan<byte> value, out long length)
    {
        length = 0;
        if (value.IsEmpty || value.Length > 18)
        {
            return false;
        }

        foreach (var b in value)
        {
            if (!IsDigit(b))
            {
                return false;
            }

            length = (length * 10) + (b - '0');
        }

        return true;
    }

    // RFC 9110 §7.6.1: these describe one connection, not the response; Kestrel frames the response itself.
    private static bool IsHopByHop(ReadOnlySpan<byte> name) =>
        Ascii.EqualsIgnoreCase(name, "Connection"u8) || Ascii.EqualsIgnoreCase(name, "Keep-Alive"u8) ||
        Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8) || Ascii.EqualsIgnoreCase(name, "Upgrade"u8) ||
        Ascii.EqualsIgnoreCase(name, "Proxy-Connection"u8) || Ascii.EqualsIgnoreCase(name, "TE"u8) ||
        Ascii.EqualsIgnoreCase(name, "Trailer"u8);

    /// <summary>The name as a string: the shared instance for common ones, so most responses allocate only values.</summary>
    private static string NameOf(ReadOnlySpan<byte> name)
    {
        foreach (var known in KnownNames)
        {
            if (known.Length == name.Length && Ascii.EqualsIgnoreCase(name, known))
            {
                return known;
            }
        }

        return Encoding.ASCII.GetString(name);
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    // RFC 9110 §5.6.2 tchar.
    private static bool IsTokenChar(byte b) =>
        b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' ||
        b is (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\'' or (byte)'*' or (byte)'+' or
            (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~';

    /// <summary>A line for an error message: printable ASCII kept, the rest escaped, at most 100 characters.</summary>
    private static string Show(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        foreach (var b in bytes[..Math.Min(bytes.Length, 100)])
        {
            if (b is >= 0x20 and < 0x7F)
            {
                text.Append((char)b);
            }
            else
            {
                text.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return bytes.Length > 100 ? text.Append("...").ToString() : text.ToString();
    }
}
