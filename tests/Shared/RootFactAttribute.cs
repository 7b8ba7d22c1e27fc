using Pm.Posix;

namespace Pm.TestSupport;

/// <summary>
/// A fact that needs root (CI runs as root): reported as skipped when the tests run as another user, never as passed
/// and never as a failure that only says "not root". <paramref name="why"/> says what root is needed for.
/// </summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute(string why = "to act as another user")
    {
        if (!Identity.IsRoot)
        {
            Skip = $"needs root {why}";
        }
    }
}
