namespace Pm.FrontEnd.Routing;

/// <summary>What a URL path leads to.</summary>
public enum RouteKind
{
    /// <summary>A static or external app mounted with -url.</summary>
    App,

    /// <summary>A dynamic app under a PmDynamicRoot prefix.</summary>
    Dynamic,

    /// <summary>The status page (HTML, or JSON with "?json"): exactly PmStatusPage's path, or "/" on the status listener.</summary>
    Status,

    /// <summary>The status report as Prometheus text: the status page's path + "/metrics", or "/metrics" on the status listener.</summary>
    Metrics,

    /// <summary>Nothing: 404.</summary>
    NotFound,
}
