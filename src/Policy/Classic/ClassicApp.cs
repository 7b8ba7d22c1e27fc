namespace Pm.Policy;

/// <summary>Classic's per-app state: the slot table, the connection-time statistics and the backoff counters.</summary>
internal sealed class ClassicApp
{
    public ClassicApp(string appId, int slots)
    {
        AppId = appId;
        for (var i = 0; i < slots; i++)
        {
            Slots.Add(new ClassicSlot(i));
        }
    }

    public string AppId { get; }

    /// <summary>Requests for another instance refused at maxClassProcesses or maxProcesses, each stretch once.</summary>
    public MaxReachedCount MaxReached { get; } = new();

    /// <summary>maxClassProcesses slots; grows only to adopt instances the PM reports beyond that (a race, not a plan).</summary>
    public List<ClassicSlot> Slots { get; } = [];

    /// <summary>Service time (µs) reported by C records since the last statistics update (totalConnTime).</summary>
    public long TotalConnTimeUs { get; set; }

    /// <summary>Queue time (µs) since the last update (totalQueueTime); mod_fastcgi collects it and never uses it.</summary>
    public long TotalQueueTimeUs { get; set; }

    /// <summary>Gain-smoothed connection time (µs) per update interval (smoothConnTime).</summary>
    public long SmoothConnTimeUs { get; set; }

    /// <summary>The app's latest spawn (restartTime); gates the next start. Null: never spawned.</summary>
    public DateTimeOffset? RestartTime { get; set; }

    /// <summary>The app's first spawn, moved to "now" by an R record (startTime); null: never.</summary>
    public DateTimeOffset? StartTime { get; set; }

    /// <summary>Unprovoked exits counted towards the backoff (numFailures).</summary>
    public int NumFailures { get; set; }

    /// <summary>Starts are spaced by failedStartsDelay (bad).</summary>
    public bool Bad { get; set; }

    /// <summary>The load factor the kill policy computed last, for display.</summary>
    public int? LastLoadFactor { get; set; }

    /// <summary>The latest thing the policy chose not to do, for display.</summary>
    public string? LastNote { get; set; }

    public int Running => Count(ClassicSlotState.Running);

    public int Victims => Count(ClassicSlotState.Victim);

    /// <summary>Spawned and not yet reaped (numProcesses): running plus victims.</summary>
    public int Processes => Running + Victims;

    public ClassicSlot? FindInstance(long instanceId) =>
        Slots.Find(s => s.InstanceId == instanceId && s.State is ClassicSlotState.Running or ClassicSlotState.Victim);

    private int Count(ClassicSlotState state)
    {
        var n = 0;
        foreach (var slot in Slots)
        {
            if (slot.State == state)
            {
                n++;
            }
        }

        return n;
    }
}
