namespace Pm.Scoreboard;

/// <summary>
/// The fixed layout of a web process's scoreboard file (see FORMAT.md beside this file): a header, a table of apps
/// with their counters and histogram buckets, and a table of request slots (the requests in flight). Offsets in
/// bytes; every counter is a 64-bit little-endian integer at an 8-byte aligned offset, so a reader's plain load sees a
/// whole value while the writer updates it with an atomic add.
/// </summary>
public static class ScoreboardLayout
{
    /// <summary>"PMSB" and the layout's version: a reader skips a file of another version rather than misread it.</summary>
    public const ulong Magic = 0x0001_0000_4253_4D50; // "PMSB", version 1

    public const int HeaderSize = 64;

    // Header: magic (8), writer pid (4), app capacity (4), slot capacity (4), bucket count (4), started (unix ms, 8).
    public const int HeaderPid = 8;
    public const int HeaderAppCapacity = 12;
    public const int HeaderSlotCapacity = 16;
    public const int HeaderBucketCount = 20;
    public const int HeaderStarted = 24;

    /// <summary>Apps one web process can count: past it, requests to further apps are served but not counted.</summary>
    public const int AppCapacity = 256;

    /// <summary>Requests in flight one web process can show: past it, requests are served and counted but not shown.</summary>
    public const int SlotCapacity = 1024;

    /// <summary>The histograms' upper bounds in seconds (and +Inf after the last), Prometheus' defaults widened to a minute.</summary>
    public static readonly double[] BucketBounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    /// <summary>Buckets per histogram: one per bound and +Inf. Each counts observations in its own range (not cumulative).</summary>
    public static int Buckets => BucketBounds.Length + 1;

    // App record: state (4: 0 free, 1 named), name length (4), name (UTF-8), requests (8), in flight (8), then two
    // histograms (queue wait, service time), each: buckets (8 each), sum in nanoseconds (8), count (8).
    public const int AppState = 0;
    public const int AppNameLength = 4;
    public const int AppName = 8;
    public const int AppNameMax = 504;
    public const int AppRequests = AppName + AppNameMax;
    public const int AppInFlight = AppRequests + 8;
    public const int AppQueueWait = AppInFlight + 8;

    public static int HistogramSize => (Buckets + 2) * 8;

    public static int AppServiceTime => AppQueueWait + HistogramSize;

    public static int AppRecordSize => AppServiceTime + HistogramSize;

    // Slot: sequence (4, odd while the writer changes the slot), app index + 1 (4, 0: free), the app connection's
    // descriptor in the web process (4, -1 until connected), method length (4), since (unix ms, 8), URI length (4),
    // reserved (4), method (16), URI (the rest).
    public const int SlotSequence = 0;
    public const int SlotApp = 4;
    public const int SlotDescriptor = 8;
    public const int SlotMethodLength = 12;
    public const int SlotSince = 16;
    public const int SlotUriLength = 24;
    public const int SlotMethod = 32;
    public const int SlotMethodMax = 16;
    public const int SlotUri = SlotMethod + SlotMethodMax;
    public const int SlotSize = 512;
    public const int SlotUriMax = SlotSize - SlotUri;

    public static int AppsOffset => HeaderSize;

    public static int SlotsOffset => AppsOffset + (AppCapacity * AppRecordSize);

    public static int FileSize => SlotsOffset + (SlotCapacity * SlotSize);

    public static int AppOffset(int app) => AppsOffset + (app * AppRecordSize);

    public static int SlotOffset(int slot) => SlotsOffset + (slot * SlotSize);

    /// <summary>The bucket an observation of <paramref name="seconds"/> falls in.</summary>
    public static int BucketOf(double seconds)
    {
        var bounds = BucketBounds;
        for (var i = 0; i < bounds.Length; i++)
        {
            if (seconds <= bounds[i])
            {
                return i;
            }
        }

        return bounds.Length;
    }

    /// <summary>The directory of the scoreboards in the IPC dir, one file per web process, named by its pid.</summary>
    public static string Directory(string ipcDir) => Path.Combine(ipcDir, "scoreboard");

    public static string FileOf(string ipcDir, int pid) => Path.Combine(Directory(ipcDir), pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
