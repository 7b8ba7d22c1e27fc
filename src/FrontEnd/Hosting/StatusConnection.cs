namespace Pm.FrontEnd.Hosting;

/// <summary>
/// Set on every connection accepted on the status listener, so that the one request delegate tells its requests from
/// the public listener's (Kestrel looks up a request's features in its connection's when the request has none).
/// </summary>
public sealed class StatusConnection
{
    public static readonly StatusConnection Instance = new();

    private StatusConnection()
    {
    }
}
