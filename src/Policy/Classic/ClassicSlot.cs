namespace Pm.Policy;

/// <summary>One of an app's maxClassProcesses process slots, as mod_fastcgi keeps them.</summary>
internal sealed class ClassicSlot
{
    public ClassicSlot(int index)
    {
        Index = index;
    }

    public int Index { get; }

    public ClassicSlotState State { get; set; } = ClassicSlotState.Ready;

    /// <summary>The PM's instance in this slot while Running or Victim.</summary>
    public long? InstanceId { get; set; }

    /// <summary>A process ran in this slot before (mod_fastcgi: pid != 0); decides initStartDelay vs restartDelay.</summary>
    public bool HasRun { get; set; }

    /// <summary>When the slot's latest process was spawned (mod_fastcgi's start_time); null for "0".</summary>
    public DateTimeOffset? StartTime { get; set; }

    /// <summary>Why the slot went to Start; opens the spawn decision's reason.</summary>
    public string StartReason { get; set; } = string.Empty;

    /// <summary>A SpawnInstances decision for this slot is outstanding at the PM.</summary>
    public bool Issued { get; set; }

    /// <summary>The due time that outstanding decision carries.</summary>
    public DateTimeOffset IssuedDue { get; set; }

    /// <summary>The outstanding decision was delayed by the failed-start backoff.</summary>
    public bool IssuedWithBackoff { get; set; }

    public void Unschedule()
    {
        State = ClassicSlotState.Ready;
        Issued = false;
        IssuedWithBackoff = false;
        StartReason = string.Empty;
    }
}
