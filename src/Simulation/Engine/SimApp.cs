using Pm.Policy;

namespace Pm.Simulation;

/// <summary>One app inside a run: its queue and its instances. Its policy group and held starts are the engine's.</summary>
internal sealed class SimApp(string id, string group)
{
    public string Id { get; } = id;

    /// <summary>The policy group that governs it (the PM: its dynamic root).</summary>
    public string Group { get; } = group;

    /// <summary>Requests waiting for an instance, oldest first (the accept queue of the app's socket).</summary>
    public LinkedList<SimRequest> Waiting { get; } = new();

    /// <summary>Idle instances, longest idle first: a blocking accept() on a shared socket wakes the longest waiter.</summary>
    public LinkedList<SimInstance> Idle { get; } = new();

    public List<SimInstance> Instances { get; } = [];

    /// <summary>When the PM last made the app's socket; null while it has none (never started, or released).</summary>
    public TimeSpan? SocketSince { get; set; }

    /// <summary>Its policy's StartDelay, known once the app is open.</summary>
    public TimeSpan StartDelay { get; set; }

    /// <summary>Instances idle or starting: ones that take a request without a new start.</summary>
    public int FreeInstances
    {
        get
        {
            var free = 0;
            foreach (var instance in Instances)
            {
                if (instance.State is InstanceState.Idle or InstanceState.Starting)
                {
                    free++;
                }
            }

            return free;
        }
    }
}
