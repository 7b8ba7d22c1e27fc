using Pm.Policy;

namespace Pm.Simulation;

/// <summary>One app inside a run: its policy, its queue, its instances and the events its policy has not seen yet.</summary>
internal sealed class SimApp(string id, int order, IScalingPolicy policy)
{
    public string Id { get; } = id;

    public int Order { get; } = order;

    public IScalingPolicy Policy { get; } = policy;

    public List<PolicyEvent> Events { get; } = [];

    /// <summary>Requests waiting for an instance, oldest first (the front end's FIFO).</summary>
    public LinkedList<SimRequest> Waiting { get; } = new();

    /// <summary>Idle instances, longest idle first: a blocking accept() on a shared socket wakes the longest waiter.</summary>
    public LinkedList<SimInstance> Idle { get; } = new();

    public List<SimInstance> Instances { get; } = [];

    /// <summary>Starts held until their NotBefore: id and due time.</summary>
    public List<(long Id, TimeSpan Due)> Pending { get; } = [];

    /// <summary>Identifies the currently wanted wake-up; older scheduled wake-ups are ignored.</summary>
    public long WakeToken { get; set; }

    public bool Dirty { get; set; }

    /// <summary>Instances that can take a request now or soon (not retiring).</summary>
    public int Available
    {
        get
        {
            var n = 0;
            foreach (var instance in Instances)
            {
                if (instance.State != InstanceState.Retiring)
                {
                    n++;
                }
            }

            return n;
        }
    }
}
