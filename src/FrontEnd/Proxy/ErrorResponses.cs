using System.Text;
using Microsoft.AspNetCore.Http;

namespace Pm.FrontEnd.Proxy;

/// <summary>
/// The front end's own answers, for when there is no app answer to pass on. Short plain text for the user; the
/// details (app, pid, cause) go to the log only.
/// </summary>
internal static class ErrorResponses
{
    /// <summary>Seconds a client is asked to wait before trying again when an app is not reachable.</summary>
    public const int RetryAfterSeconds = 5;

    /// <param name="close">Close the connection after the answer (Connection: close), e.g. when a request body is left unread.</param>
    public static Task WriteAsync(HttpContext context, int status, string message, bool close = false)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            // Part of an answer is out: the client must see a broken response, not a short complete one.
            context.Abort();
            return Task.CompletedTask;
        }

        response.Clear();
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        if (close)
        {
            response.Headers.Connection = "close";
        }

        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            response.Headers.RetryAfter = RetryAfter;
        }

        var body = Encoding.UTF8.GetBytes(Text(status, message));
        response.ContentLength = body.Length;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return Task.CompletedTask;
        }

        return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    /// <summary>The body of an error answer, the same over HTTP and through the FastCGI dispatcher.</summary>
    public static string Text(int status, string message) => $"{status} {ReasonOf(status)}: {message}\n";

    internal static readonly string RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string ReasonOf(int status) => status switch
    {
        301 => "Moved Permanently",
        400 => "Bad Request",
        408 => "Request Timeout",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    };
}
