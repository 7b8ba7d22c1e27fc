namespace Pm.Spawning;

/// <summary>
/// How to start this same pm program with other arguments (for the web processes): its apphost directly, or
/// `dotnet pm.dll` when it was started that way.
/// </summary>
public static class SelfCommand
{
    public static (string Executable, IReadOnlyList<string> Arguments) With(params string[] arguments)
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program this is");
        if (string.Equals(Path.GetFileNameWithoutExtension(process), "dotnet", StringComparison.Ordinal))
        {
            var assembly = typeof(SelfCommand).Assembly.Location;
            return (process, [assembly, .. arguments]);
        }

        return (process, arguments);
    }
}
