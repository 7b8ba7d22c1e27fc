namespace Pm.Config;

/// <summary>
/// An <c>AddHandler fastcgi-script .fcgi</c> or <c>SetHandler fastcgi-script</c> line (or mod_fcgid's
/// fcgid-script): in its scope, files with these extensions, or every file, are FastCGI apps.
/// </summary>
/// <param name="Path">The directory (absolute, no trailing '/') or URL prefix of the scope; null server-wide.</param>
/// <param name="Extensions">".fcgi", ".fpl" ...; null: every file (SetHandler).</param>
internal sealed record FastCgiHandler(HandlerScope Scope, string? Path, IReadOnlyList<string>? Extensions, Directive Directive);
