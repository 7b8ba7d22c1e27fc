namespace Pm.Policy;

/// <summary>The figures a policy bases its decisions on, for display.</summary>
/// <param name="AppId">The app.</param>
/// <param name="Figures">Named numbers, e.g. classic's <c>loadFactor</c> or demand's <c>arrivalRate</c>.</param>
/// <param name="Summary">One line a user understands.</param>
public sealed record AppLoad(string AppId, IReadOnlyDictionary<string, double> Figures, string Summary)
{
    /// <summary>
    /// The figure every policy reports: times more instances were wanted than a maximum let start, each stretch
    /// counted once (<see cref="MaxReachedCount"/>; the status page's and /metrics' "max instances reached").
    /// </summary>
    public const string MaxReached = "maxReached";
}
