namespace Pm.Config;

/// <summary>A FastCgiExternalServer / ExternalAppClass: runs elsewhere; the PM knows only its address.</summary>
public sealed record ExternalAppConfig(
    string Path,
    AppAddress Address,
    RequestSettings Request,
    string? UrlPrefix,
    string? DocumentRoot,
    ConfigSource Source);
