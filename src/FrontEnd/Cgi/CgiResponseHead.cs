namespace Pm.FrontEnd.Cgi;

/// <summary>
/// The header block of a CGI response (RFC 3875 §6.3), as parsed: the status, the headers the front end treats
/// specially, and every other header in order (repeated ones stay separate). Reused across requests: <see cref="Reset"/>.
/// </summary>
public sealed class CgiResponseHead
{
    private readonly List<KeyValuePair<string, string>> _headers = [];

    /// <summary>The Status header's code, or 0 when the app sent none.</summary>
    public int Status { get; internal set; }

    /// <summary>The Status header's reason phrase, when one was given.</summary>
    public string? Reason { get; internal set; }

    public string? Location { get; internal set; }

    public string? ContentType { get; internal set; }

    public long? ContentLength { get; internal set; }

    /// <summary>Every other header, in the order the app sent them; hop-by-hop headers are left out.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers => _headers;

    /// <summary>Bytes of the header block read so far (checked against the parser's limit).</summary>
    internal int BytesRead { get; set; }

    /// <summary>
    /// The HTTP status to answer with: Status if given; else 302 for a Location (RFC 3875's client redirect; a
    /// local path is redirected the same way, not followed inside the server); else 200.
    /// </summary>
    public int EffectiveStatus => Status != 0 ? Status : Location is not null ? 302 : 200;

    internal void Add(string name, string value) => _headers.Add(new KeyValuePair<string, string>(name, value));

    public void Reset()
    {
        Status = 0;
        Reason = null;
        Location = null;
        ContentType = null;
        ContentLength = null;
        BytesRead = 0;
        _headers.Clear();
    }
}
