namespace Pm.Spawning;

/// <summary>
/// How to start this same pm program with other arguments (for the web processes): its native or apphost
/// executable directly, or `dotnet pm.dll` when it was started that way.
/// </summary>
public static class SelfCommand
{
    public static (string Executable, IReadOnlyList<string> Arguments) With(params string[] arguments)
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program this is");
        if (string.Equals(Path.GetFileNameWithoutExtension(process), "dotnet", StringComparison.Ordinal))
        {
            // Only a JIT build runs under the dotnet host; its pm.dll lies in the app's base directory.
            var assembly = Path.Combine(AppContext.BaseDirectory, typeof(SelfCommand).Assembly.GetName().Name + ".dll");
            return (process, [assembly, .. arguments]);
        }

        return (process, arguments);
    }
}
