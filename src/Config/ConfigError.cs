namespace Pm.Config;

/// <summary>One thing wrong with a config file: where (file, line), which directive, and what.</summary>
public sealed record ConfigError(string File, int Line, string Directive, string Message)
{
    public override string ToString() =>
        Directive.Length == 0 ? $"{File}:{Line}: {Message}" : $"{File}:{Line}: {Directive}: {Message}";
}
