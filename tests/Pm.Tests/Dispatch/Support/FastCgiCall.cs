using System.IO.Pipelines;
using System.Text;
using Pm.Protocol.FastCgi;

namespace Pm.Tests.Dispatch.Support;

/// <summary>One request on a FastCGI connection to the dispatcher, as a web server sends it, read to its END_REQUEST.</summary>
public static class FastCgiCall
{
    /// <summary>The CGI variables nginx's fastcgi.conf would send for a GET of <paramref name="scriptFileName"/>?<paramref name="query"/>.</summary>
    public static List<KeyValuePair<string, string>> Params(string scriptFileName, string query = "", string method = "GET", string? contentLength = null) =>
    [
        new("SCRIPT_FILENAME", scriptFileName),
        new("QUERY_STRING", query),
        new("REQUEST_METHOD", method),
        new("CONTENT_LENGTH", contentLength ?? ""),
        new("SCRIPT_NAME", "/" + Path.GetFileName(scriptFileName)),
        new("REQUEST_URI", "/" + Path.GetFileName(scriptFileName) + (query.Length > 0 ? "?" + query : "")),
        new("SERVER_PROTOCOL", "HTTP/1.1"),
        new("GATEWAY_INTERFACE", "CGI/1.1"),
    ];

    public static async Task<(string Output, FastCgiRequestResult End)> SendAsync(
        FastCgiClientConnection connection, IReadOnlyList<KeyValuePair<string, string>> parameters, CancellationToken cancellationToken, byte[]? body = null)
    {
        await using var request = await connection.BeginRequestAsync(new FastCgiOutgoingRequest
        {
            Parameters = parameters,
            Body = body is null ? null : PipeReader.Create(new MemoryStream(body)),
        }, cancellationToken);
        var output = await ReadAllAsync(request.Output, cancellationToken);
        return (output, await request.Completion);
    }

    public static async Task<string> ReadAllAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken);
            foreach (var segment in read.Buffer)
            {
                text.Append(Encoding.Latin1.GetString(segment.Span)); // one char per byte: binary answers compare exactly
            }

            reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                return text.ToString();
            }
        }
    }
}
