namespace Pm.Tests.Fixtures;

/// <summary>Where the built programs are: the repo is found from the test assembly's location.</summary>
public static class Paths
{
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>Debug or Release, whichever this test assembly was built as.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The pm the real-process tests run: $PM_TEST_PM (scripts/test.sh sets the native build), else the JIT build.</summary>
    public static string Pm => Environment.GetEnvironmentVariable("PM_TEST_PM") is { Length: > 0 } chosen
        ? File.Exists(chosen) ? chosen : throw new FileNotFoundException($"PM_TEST_PM names {chosen}, which does not exist")
        : Built("src/Pm", "pm");

    public static string TestApp => Built("tests/Pm.TestApp", "pm-testapp");

    public static string Hello => Built("examples/apps/Hello", "hello");

    private static string Built(string project, string name)
    {
        var path = Path.Combine(RepoRoot, project, "bin", Configuration, "net10.0", name);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} is not built; build the solution first (dotnet build Pm.sln -c {Configuration})");
        }

        return path;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pm.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("Pm.sln not found above " + AppContext.BaseDirectory);
    }
}
