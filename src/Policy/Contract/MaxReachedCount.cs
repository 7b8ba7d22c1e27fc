namespace Pm.Policy;

/// <summary>
/// Counts how often an app wanted more instances than a maximum (maxClassProcesses, maxProcesses) let start: each
/// stretch of evaluations held back counts once, as php-fpm's "max children reached" does, not every evaluation or
/// record in it. Reported as <see cref="AppLoad.MaxReached"/>.
/// </summary>
public sealed class MaxReachedCount
{
    public long Count { get; private set; }

    /// <summary>The last evaluation that wanted more was held back by a maximum.</summary>
    public bool AtMax { get; private set; }

    /// <summary>Records whether this evaluation's wish for more was held back by a maximum (false: it was met, or none).</summary>
    public void Held(bool held)
    {
        if (held && !AtMax)
        {
            Count++;
        }

        AtMax = held;
    }
}
