namespace Pm.Spawning;

/// <summary>
/// A child that was started: its pid (also its process group id), a pidfd that becomes readable when it exits,
/// and the read end of the pipe carrying its stdout and stderr. The child watcher owns both descriptors. With the
/// shim, the page that counts its requests (the instance owns it).
/// </summary>
public sealed record SpawnedProcess(int Pid, int PidFd, int OutputFd, InstancePage? Page = null);
