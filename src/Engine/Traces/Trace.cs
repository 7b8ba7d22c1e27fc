namespace Pm.Engine;

/// <summary>Requests in arrival order (ties keep file order).</summary>
public sealed class Trace
{
    public Trace(IEnumerable<TraceRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var indexed = requests.Select((r, i) => (r, i)).ToList();
        indexed.Sort((a, b) => a.r.Arrival != b.r.Arrival ? a.r.Arrival.CompareTo(b.r.Arrival) : a.i.CompareTo(b.i));
        Requests = indexed.Select(x => x.r).ToList();
        Apps = Requests.Select(r => r.App).Distinct(StringComparer.Ordinal).ToList();
    }

    public IReadOnlyList<TraceRequest> Requests { get; }

    /// <summary>Distinct apps in order of first arrival.</summary>
    public IReadOnlyList<string> Apps { get; }

    /// <summary>The last arrival; zero for an empty trace.</summary>
    public TimeSpan Duration => Requests.Count == 0 ? TimeSpan.Zero : Requests[^1].Arrival;
}
