namespace Pm.Config;

/// <summary>A FastCgiExternalServer / ExternalAppClass: runs elsewhere; the PM knows only its address.</summary>
/// <param name="DocumentRootRules">-extensions, -index, -static: what a URL under -document-root leads to; null without -document-root.</param>
public sealed record ExternalAppConfig(
    string Path,
    AppAddress Address,
    RequestSettings Request,
    string? UrlPrefix,
    string? DocumentRoot,
    ConfigSource Source,
    DocumentRootRules? DocumentRootRules = null);
