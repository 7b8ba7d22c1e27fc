namespace Pm.Policy;

/// <summary>mod_fastcgi's per-slot process states (FCGI_*_STATE).</summary>
internal enum ClassicSlotState
{
    /// <summary>Free: never used, or its process exited and nobody asked for a new one.</summary>
    Ready,

    /// <summary>A start is scheduled; the PM holds it as pending until it is due.</summary>
    Start,

    /// <summary>Its process is alive.</summary>
    Running,

    /// <summary>Its process was told to stop and has not exited yet.</summary>
    Victim,

    /// <summary>Its process exited after being told to stop.</summary>
    Killed,
}
