namespace Pm.Spawning;

/// <summary>Starts instances. Behind an interface because .NET 11 may bring a managed way to do what PosixSpawner does.</summary>
public interface ISpawner
{
    /// <exception cref="Posix.PosixException">The executable could not be started.</exception>
    SpawnedProcess Spawn(SpawnSpec spec);
}
