namespace Pm.Config;

/// <summary>
/// Something in a config that is not wrong but that Pm does not act on, or acts on differently from Apache (an
/// Apache directive read through or ignored, an app nothing reaches): said with its file and line, never fatal.
/// </summary>
public sealed record ConfigNotice(string File, int Line, string Directive, string Message)
{
    /// <summary>The message names the directive itself ("ignored: Apache directive ServerName ..."), so it is not repeated.</summary>
    public override string ToString() => $"{File}:{Line}: {Message}";
}
