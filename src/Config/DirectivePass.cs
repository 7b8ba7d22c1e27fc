namespace Pm.Config;

/// <summary>The passes of the config parser over the directives, in order.</summary>
internal enum DirectivePass
{
    /// <summary>Directives the others depend on: FastCgiIpcDir, FastCgiWrapper, FastCgiConfig, the Pm* globals.</summary>
    Globals,

    /// <summary>The apps: FastCgiServer, FastCgiExternalServer, PmDynamicRoot.</summary>
    Apps,

    /// <summary>Apache's lines (Alias, AddHandler, Action ...): collected once the apps' paths are known, then mounted.</summary>
    Apache,
}
