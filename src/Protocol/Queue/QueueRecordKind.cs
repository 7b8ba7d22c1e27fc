namespace Pm.Protocol.Queue;

/// <summary>What a web process tells the PM. The values are the kind bytes on the wire (ASCII, as in mod_fastcgi).</summary>
public enum QueueRecordKind : byte
{
    /// <summary>'S': the app is needed; start it if it has no instance.</summary>
    Start = (byte)'S',

    /// <summary>'T': a request waited longer than startDelay for the app; start another instance.</summary>
    MoreNeeded = (byte)'T',

    /// <summary>'C': a request finished; carries its queue time and service time.</summary>
    Complete = (byte)'C',

    /// <summary>'R': the app's binary changed on disk; restart its instances.</summary>
    BinaryChanged = (byte)'R',

    /// <summary>'L': a request has run past -slow-log; diagnose the instance holding it into the log, leave it running.</summary>
    SlowRequest = (byte)'L',

    /// <summary>'X': a request ran past -request-timeout and got a 504; diagnose the instance holding it and kill its group.</summary>
    RequestTimedOut = (byte)'X',
}
