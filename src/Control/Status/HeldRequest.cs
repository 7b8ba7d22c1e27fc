namespace Pm.Status;

/// <summary>The request an instance is serving: its method, URI (path and query) and since when a web process holds it.</summary>
public sealed record HeldRequest(string Method, string Uri, DateTimeOffset Since);
