namespace Pm.Engine;

/// <summary>A trace file line that does not follow the format (see examples/traces/README.md).</summary>
public sealed class TraceFormatException : Exception
{
    public TraceFormatException(long line, string message)
        : base($"trace line {line}: {message}")
    {
        Line = line;
    }

    /// <summary>1-based line number.</summary>
    public long Line { get; }
}
