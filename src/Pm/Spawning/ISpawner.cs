namespace Pm.Spawning;

/// <summary>Starts instances. Behind an interface because .NET 11 may bring a managed way to do what PosixSpawner does.</summary>
public interface ISpawner
{
    /// <exception cref="Posix.PosixException">The executable could not be started.</exception>
    /// <param name="spec">What to start.</param>
    /// <param name="requestLimit">For an app that counts requests: the most connections the instance may take (0: no limit).</param>
    SpawnedProcess Spawn(SpawnSpec spec, long requestLimit = 0);
}
