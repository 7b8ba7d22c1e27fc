namespace Pm.Policy;

/// <summary>Life stages of a live instance; exited instances are not listed at all.</summary>
public enum InstanceState
{
    /// <summary>Spawned, not yet accepting requests.</summary>
    Starting,

    /// <summary>Ready and holding no request.</summary>
    Idle,

    /// <summary>Serving a request.</summary>
    Busy,

    /// <summary>Told to stop: takes no new request, finishes the one it holds, then exits.</summary>
    Retiring,
}
