namespace Pm.FrontEnd.Routing;

/// <summary>What a URL path leads to.</summary>
public enum RouteKind
{
    /// <summary>A static or external app mounted with -url.</summary>
    App,

    /// <summary>A dynamic app under a PmDynamicRoot prefix.</summary>
    Dynamic,

    /// <summary>The status page: exactly "/" (and its Prometheus metrics at "/metrics"), when no app is mounted there.</summary>
    Status,

    /// <summary>Nothing: 404.</summary>
    NotFound,
}
