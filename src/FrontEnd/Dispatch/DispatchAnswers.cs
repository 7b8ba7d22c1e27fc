using System.IO.Pipelines;
using System.Text;
using Pm.FrontEnd.Proxy;

namespace Pm.FrontEnd.Dispatch;

/// <summary>
/// The dispatcher's own answers, for when no app answers: a CGI response on STDOUT (<c>Status:</c>, a short plain text
/// body, <c>Retry-After</c> on a 503), which the web server in front turns into its HTTP answer. The text is the one
/// the HTTP side gives (<see cref="ErrorResponses"/>); the details (app, pid, cause) go to the log only.
/// </summary>
internal static class DispatchAnswers
{
    public static void Write(PipeWriter stdout, int status, string message)
    {
        var body = ErrorResponses.Text(status, message);
        var retry = status == 503 ? $"Retry-After: {ErrorResponses.RetryAfter}\r\n" : "";
        var head = $"Status: {status} {ErrorResponses.ReasonOf(status)}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n{retry}\r\n";
        Encoding.UTF8.GetBytes(head, stdout);
        Encoding.UTF8.GetBytes(body, stdout);
    }
}
