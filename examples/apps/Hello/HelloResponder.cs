using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Pm.Protocol.FastCgi;

namespace Hello;

/// <summary>
/// Answers every request with a small HTML page: who answered (pid, request count) and what was asked
/// (SCRIPT_NAME, PATH_INFO, QUERY_STRING, body length). <c>?sleep=MS</c> delays the answer, to show slow
/// requests; an abort from the web server cuts the delay short.
/// </summary>
public sealed class HelloResponder(TimeProvider time)
{
    private const int MaxSleepMilliseconds = 60_000;

    private long _requests;

    public async ValueTask<int> HandleAsync(FastCgiServerRequest request)
    {
        var number = Interlocked.Increment(ref _requests);
        var bodyLength = await CountBytesAsync(request.Stdin, request.Aborted);

        var query = request.Params.GetValue("QUERY_STRING") ?? string.Empty;
        var sleep = SleepMilliseconds(query);
        if (sleep > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(sleep), time, request.Aborted);
        }

        var html = Page(number, request.Params, bodyLength, sleep);
        var body = Encoding.UTF8.GetBytes(html);
        var headers = $"Content-Type: text/html; charset=utf-8\r\nContent-Length: {body.Length}\r\n\r\n";

        // No flush: what is buffered when the handler returns goes out with END_REQUEST in a single write.
        // (A handler that streams would flush as it goes.)
        request.Stdout.Write(Encoding.ASCII.GetBytes(headers));
        request.Stdout.Write(body);
        return 0;
    }

    private static string Page(long number, FastCgiParams parameters, long bodyLength, int sleep)
    {
        string Show(string name) => WebUtility.HtmlEncode(parameters.GetValue(name) ?? string.Empty);

        var page = new StringBuilder();
        page.Append(CultureInfo.InvariantCulture, $"""
            <!DOCTYPE html>
            <html>
            <head><meta charset="utf-8"><title>Hello from Pm</title></head>
            <body>
            <h1>Hello from Pm</h1>
            <dl>
            <dt>pid</dt><dd>{Environment.ProcessId}</dd>
            <dt>request</dt><dd>#{number} answered by this process</dd>
            <dt>SCRIPT_NAME</dt><dd>{Show("SCRIPT_NAME")}</dd>
            <dt>PATH_INFO</dt><dd>{Show("PATH_INFO")}</dd>
            <dt>QUERY_STRING</dt><dd>{Show("QUERY_STRING")}</dd>
            <dt>request body</dt><dd>{bodyLength} bytes</dd>

            """);
        if (sleep > 0)
        {
            page.Append(CultureInfo.InvariantCulture, $"<dt>slept</dt><dd>{sleep} ms</dd>\n");
        }

        page.Append("</dl>\n</body>\n</html>\n");
        return page.ToString();
    }

    /// <summary>The <c>sleep</c> query parameter in milliseconds, clamped to a minute; 0 when absent or invalid.</summary>
    private static int SleepMilliseconds(string query)
    {
        var value = System.Web.HttpUtility.ParseQueryString(query)["sleep"];
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? Math.Min(ms, MaxSleepMilliseconds) : 0;
    }

    private static async Task<long> CountBytesAsync(PipeReader body, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            var result = await body.ReadAsync(cancellationToken);
            total += result.Buffer.Length;
            body.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return total;
            }
        }
    }
}
