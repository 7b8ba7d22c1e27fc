namespace Pm.Config;

/// <summary>A request path resolved to a dynamic app under a root: the executable, and the CGI split of the URL.</summary>
/// <param name="Root">The dynamic root it is under.</param>
/// <param name="AppPath">Absolute path of the executable (the app's identity: its socket and queue records use it).</param>
/// <param name="ScriptName">The URL part naming the script (SCRIPT_NAME).</param>
/// <param name="PathInfo">The URL part after it (PATH_INFO), possibly empty.</param>
public sealed record DynamicScript(DynamicRootConfig Root, string AppPath, string ScriptName, string PathInfo);
