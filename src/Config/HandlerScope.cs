namespace Pm.Config;

/// <summary>Where an Apache handler line applies: server-wide (top level or a &lt;VirtualHost&gt;), a directory, or a URL prefix.</summary>
internal enum HandlerScope
{
    Server,
    Directory,
    Location,
}
