using Pm.Config;

namespace Pm.FrontEnd.Hosting;

/// <summary>Where a web process finds its status listener: a descriptor the PM passed, or (started by hand) an address it binds itself.</summary>
public sealed record StatusListenerSource(int? Descriptor, AppAddress? Address);
