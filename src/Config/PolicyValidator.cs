namespace Pm.Config;

/// <summary>Checks a policy name and its parameters when the config is read, so mistakes surface with file:line.</summary>
internal static class PolicyValidator
{
    public static string? Check(string policy, IReadOnlyDictionary<string, string> parameters)
    {
        string[] known = ["demand", "classic", "spare"];
        return known.Contains(policy, StringComparer.OrdinalIgnoreCase)
            ? null
            : $"unknown policy '{policy}' (known: {string.Join(", ", known)})";
    }
}
