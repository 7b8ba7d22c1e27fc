namespace Pm.Supervision;

/// <summary>Where the PM writes down the instances it runs, so a PM started after a crash can prove which leftovers are its own (Hosting/InstanceRegistry).</summary>
public interface IInstanceRegistry
{
    void Spawned(int pid);

    void Reaped(int pid);
}
