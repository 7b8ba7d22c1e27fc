using Pm.Config;
using Pm.FrontEnd.Apps;

namespace Pm.FrontEnd.Dispatch;

/// <summary>
/// Where the dispatcher sends one FastCGI request: a static or external app, a dynamic app's script, or nowhere
/// (<see cref="Status"/> 404 or 403, and why).
/// </summary>
internal readonly record struct DispatchTarget(AppBackend? App, DynamicScript? Script, int Status, string? Problem)
{
    public static DispatchTarget To(AppBackend app) => new(app, null, 200, null);

    public static DispatchTarget To(DynamicScript script) => new(null, script, 200, null);

    public static DispatchTarget Refused(int status, string problem) => new(null, null, status, problem);
}
