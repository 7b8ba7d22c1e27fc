using Microsoft.AspNetCore.Http;

namespace Pm.FrontEnd.Status;

/// <summary>
/// The page at "/": the PM's apps and instances. The front end only routes to it; the page asks the PM over its
/// control socket (the PM's side of the status lives with the PM).
/// </summary>
public interface IStatusPage
{
    /// <summary>Writes the whole answer (200 with the page, or 503 when the PM does not answer).</summary>
    Task WriteAsync(HttpContext context);
}
