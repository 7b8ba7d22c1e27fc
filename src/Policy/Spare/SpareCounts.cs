namespace Pm.Policy;

/// <summary>An app's instances by state, the way a prefork master counts its children.</summary>
internal readonly record struct SpareCounts(int Idle, int Busy, int Starting, int Retiring, int Servers)
{
    public static SpareCounts Of(AppView app)
    {
        int idle = 0, busy = 0, starting = 0, retiring = 0;
        foreach (var instance in app.Instances)
        {
            switch (instance.State)
            {
                case InstanceState.Idle:
                    idle++;
                    break;
                case InstanceState.Busy:
                    busy++;
                    break;
                case InstanceState.Starting:
                    starting++;
                    break;
                default:
                    retiring++;
                    break;
            }
        }

        // spamd keeps dying children in its table until they are reaped, and a spawn is a child at once.
        return new SpareCounts(idle, busy, starting, retiring, app.Instances.Count + app.PendingStarts);
    }
}
