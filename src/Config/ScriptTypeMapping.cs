namespace Pm.Config;

/// <summary>
/// A handler or MIME type given to file extensions for an Action to pick up (<c>AddHandler php5-fcgi .php</c>,
/// <c>AddType application/x-httpd-php .php</c>, <c>SetHandler php-fcgi</c> in a &lt;FilesMatch&gt;).
/// </summary>
/// <param name="Name">The handler or MIME type.</param>
/// <param name="Extensions">The extensions; null: every file of the scope.</param>
/// <param name="Path">The directory of the scope (absolute, no trailing '/'); null server-wide or in a &lt;Location&gt;.</param>
internal sealed record ScriptTypeMapping(string Name, IReadOnlyList<string>? Extensions, HandlerScope Scope, string? Path, Directive Directive);
