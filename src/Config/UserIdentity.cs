namespace Pm.Config;

/// <summary>The user and group an app runs as, resolved when the config is read.</summary>
public sealed record UserIdentity(string UserName, uint Uid, string GroupName, uint Gid);
