using Microsoft.AspNetCore.Http;

namespace Pm.FrontEnd.Status;

/// <summary>
/// The status page: the PM's apps and instances (and, asked for metrics, the same report as Prometheus text). The front end routes to it; <see cref="StatusPage"/> asks the PM
/// over its control socket (the contract it reads is Pm.Control's, so the front end needs nothing of the PM's).
/// </summary>
public interface IStatusPage
{
    /// <summary>Writes the whole answer (200 with the page, or 503 when the PM does not answer); with <paramref name="metrics"/>, Prometheus text.</summary>
    Task WriteAsync(HttpContext context, bool metrics);
}
