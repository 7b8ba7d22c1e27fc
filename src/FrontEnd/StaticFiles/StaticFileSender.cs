using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace Pm.FrontEnd.StaticFiles;

/// <summary>
/// Sends one file under an app's -document-root that is not a script, as nginx's static module would: Content-Type
/// from the extension (application/octet-stream when unknown, nginx's default_type), Content-Length, Last-Modified and
/// an nginx-style ETag ("mtime-size" in hex), 304 for a matching If-None-Match or an If-Modified-Since not older than
/// the file, one byte range (206, or 416 past the end; a request for several ranges gets the whole file, which RFC
/// 9110 allows), HEAD without a body. GET and HEAD only (405 otherwise). The file was checked by
/// <see cref="Cgi.ScriptMapper"/>: a regular file inside the root, its real path.
/// </summary>
internal static class StaticFileSender
{
    // Built once: the table is a dictionary of some 380 extensions, read-only after construction.
    private static readonly FileExtensionContentTypeProvider Types = new();

    private const string DefaultType = "application/octet-stream";

    public static Task SendAsync(HttpContext context, string file)
    {
        var request = context.Request;
        var response = context.Response;
        var head = HttpMethods.IsHead(request.Method);
        if (!head && !HttpMethods.IsGet(request.Method))
        {
            response.Headers.Allow = "GET, HEAD";
            return Proxy.ErrorResponses.WriteAsync(context, 405, "a static file is only read");
        }

        var info = new FileInfo(file);
        if (!info.Exists)
        {
            return Proxy.ErrorResponses.WriteAsync(context, 404, "no such file");
        }

        var length = info.Length;
        var modified = TruncateToSeconds(info.LastWriteTimeUtc);
        var seconds = new DateTimeOffset(modified).ToUnixTimeSeconds();
        var etag = string.Create(CultureInfo.InvariantCulture, $"\"{seconds:x}-{length:x}\"");
        var headers = response.Headers;
        headers.ContentType = Types.TryGetContentType(file, out var type) ? type : DefaultType;
        headers.LastModified = modified.ToString("R", CultureInfo.InvariantCulture);
        headers.ETag = etag;
        headers.AcceptRanges = "bytes";

        if (NotModified(request, etag, modified))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            headers.ContentType = default;
            return Task.CompletedTask;
        }

        long offset = 0;
        var count = length;
        if (request.Headers.Range.Count == 1 && request.Headers.IfRange.Count == 0 &&
            RangeHeaderValue.TryParse(request.Headers.Range.ToString(), out var range) &&
            string.Equals(range.Unit.Value, "bytes", StringComparison.OrdinalIgnoreCase) && range.Ranges.Count == 1)
        {
            var r = range.Ranges.First();
            if (r.From is { } from)
            {
                if (from >= length)
                {
                    response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                    headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes */{length}");
                    headers.ContentType = default;
                    response.ContentLength = 0;
                    return Task.CompletedTask;
                }

                offset = from;
                count = Math.Min(r.To ?? length - 1, length - 1) - from + 1;
            }
            else if (r.To is { } suffix && suffix > 0)
            {
                count = Math.Min(suffix, length);
                offset = length - count;
            }

            if (count != length)
            {
                response.StatusCode = StatusCodes.Status206PartialContent;
                headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {offset}-{offset + count - 1}/{length}");
            }
        }

        response.ContentLength = count;
        if (head || count == 0)
        {
            return Task.CompletedTask;
        }

        return response.SendFileAsync(file, offset, count, context.RequestAborted);
    }

    private static bool NotModified(HttpRequest request, string etag, DateTime modified)
    {
        var ifNoneMatch = request.Headers.IfNoneMatch;
        if (ifNoneMatch.Count > 0)
        {
            // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2); weak comparison, as for GET.
            foreach (var value in ifNoneMatch)
            {
                foreach (var tag in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries))
                {
                    if (tag == "*" || tag == etag || (tag.StartsWith("W/", StringComparison.Ordinal) && tag[2..] == etag))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        return DateTime.TryParseExact(request.Headers.IfModifiedSince.ToString(), "R", CultureInfo.InvariantCulture,
                   DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var since)
               && modified <= since;
    }

    private static DateTime TruncateToSeconds(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
}
