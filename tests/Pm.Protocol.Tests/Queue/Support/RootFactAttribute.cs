using Pm.Posix;

namespace Pm.Protocol.Tests.Queue.Support;

/// <summary>A fact that needs root (to chown files to another user); reported as skipped otherwise, never as passed.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!Identity.IsRoot)
        {
            Skip = "needs root to give files to another user";
        }
    }
}
