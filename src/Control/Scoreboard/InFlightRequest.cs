namespace Pm.Scoreboard;

/// <summary>A request a web process is forwarding now, from its scoreboard slot: the app, the web process and its descriptor of the app connection (-1 before it connected).</summary>
public sealed record InFlightRequest(string App, int WebPid, int Descriptor, string Method, string Uri, DateTimeOffset Since);
