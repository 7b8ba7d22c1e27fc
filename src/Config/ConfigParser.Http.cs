namespace Pm.Config;

/// <summary>
/// The global directives of the HTTP side that nginx keeps in its http and server blocks: the server's name
/// (nginx's server_name, for SERVER_NAME) and how request bodies without a length are held (client_body_buffer_size,
/// client_max_body_size).
/// </summary>
public sealed partial class ConfigParser
{
    private string? _serverName;
    private long? _bodyBuffer;
    private long? _bodyMax;
    private Directive? _bodyMaxDirective;

    private void ReadServerName(Directive d)
    {
        if (Single(d, _serverName, "a host name") is not { } name)
        {
            return;
        }

        // A name goes into SERVER_NAME and so into URLs apps build: nothing that could end a URL's authority.
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '-' or '_' or ':' or '[' or ']'))
            {
                Error(d, $"'{name}' is not a host name (letters, digits, '.', '-', '_'; an IPv6 address in [ ])");
                return;
            }
        }

        _serverName = name;
    }

    private void ReadBodyBuffer(Directive d)
    {
        if (Single(d, _bodyBuffer is null ? null : "", "a size (e.g. 1M)") is { } text && Size(d, text, allowZero: true) is { } bytes)
        {
            if (bytes > FrontEndConfig.MaxBodyBuffer)
            {
                Error(d, $"'{text}' is more than {FrontEndConfig.MaxBodyBuffer >> 20}M: a body that big goes to a temporary file, not to memory");
                return;
            }

            _bodyBuffer = bytes;
            CheckBodySizes(d);
        }
    }

    private void ReadBodyMax(Directive d)
    {
        if (Single(d, _bodyMax is null ? null : "", "a size (e.g. 1G), or 0 for no limit") is { } text && Size(d, text, allowZero: true) is { } bytes)
        {
            _bodyMax = bytes;
            _bodyMaxDirective = d;
            CheckBodySizes(d);
        }
    }

    private void CheckBodySizes(Directive d)
    {
        if (_bodyMax is { } max && max > 0 && _bodyBuffer is { } buffer && buffer > max)
        {
            Error(_bodyMaxDirective ?? d, $"PmRequestBodyMax ({max} bytes) is smaller than PmRequestBodyBuffer ({buffer} bytes)");
        }
    }

    private long? Size(Directive d, string text, bool allowZero)
    {
        if (RecycleLimits.ParseSize(text) is not { } bytes || (!allowZero && bytes == 0))
        {
            Error(d, $"'{text}' is not a size (a number of bytes, or with k, M, G: 512k, 1M, 2G)");
            return null;
        }

        return bytes;
    }
}
