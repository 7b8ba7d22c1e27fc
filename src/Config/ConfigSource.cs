namespace Pm.Config;

/// <summary>The file and line a config item came from, for messages about it.</summary>
public sealed record ConfigSource(string File, int Line)
{
    public override string ToString() => $"{File}:{Line}";
}
