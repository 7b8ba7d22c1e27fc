namespace Pm.Config;

/// <summary>An Alias or ScriptAlias line: a URL prefix and the path (an app, or a directory) it maps to.</summary>
/// <param name="Url">The prefix, normalized as -url is ("/fcgi-bin/" is "/fcgi-bin").</param>
/// <param name="Target">The absolute path, without a trailing '/'.</param>
/// <param name="Script">ScriptAlias: Apache runs what the directory holds (ExecCGI), so server-wide handlers apply to it.</param>
internal sealed record ApacheAlias(string Url, string Target, bool Script, Directive Directive);
