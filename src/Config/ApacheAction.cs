namespace Pm.Config;

/// <summary>An <c>Action HANDLER-OR-TYPE URL</c> line: Apache hands files of that handler or type to the script at URL.</summary>
internal sealed record ApacheAction(string Name, string Url, Directive Directive);
