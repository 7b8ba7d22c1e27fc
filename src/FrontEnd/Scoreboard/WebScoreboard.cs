using System.Text.Unicode;
using Pm.FrontEnd.Logging;
using Pm.Scoreboard;

namespace Pm.FrontEnd.Scoreboard;

/// <summary>
/// This web process's scoreboard (layout: src/Control/Scoreboard/FORMAT.md): per app, its requests, those in flight
/// and the queue-wait and service-time histograms; per request in flight, a slot with its app, method, URI, since
/// when, and the descriptor of its connection to the app (the PM finds the instance holding it from that).
/// <para>
/// Constraints first: a request may cost a few atomic adds and a copy of its URI here, and no system call; the PM
/// reads the file whenever it builds a status report, without asking this process anything. So counters are 64-bit
/// atomic adds into the shared mapping, and a slot is published with a sequence number (odd while it changes), as a
/// seqlock: a reader that sees an odd or changed sequence skips the slot. An app gets its record the first time a
/// request for it comes (under a lock: that happens once per app); its name is written before its state says so.
/// </para>
/// </summary>
public sealed class WebScoreboard : IDisposable
{
    private readonly ScoreboardFile _file;
    private readonly Lock _apps = new();
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private int _slotHint;

    private WebScoreboard(ScoreboardFile file) => _file = file;

    /// <summary>The file's path.</summary>
    public string Path => _file.Path!;

    /// <summary>Creates this process's file in the IPC dir's scoreboard directory; null (logged) when it cannot, and requests are then served uncounted.</summary>
    public static WebScoreboard? Open(string ipcDir, int pid, DateTimeOffset now, WebLog log)
    {
        var dir = ScoreboardLayout.Directory(ipcDir);
        if (!Directory.Exists(ipcDir))
        {
            // Only the PM makes the IPC dir (its access depends on who made it): a web process without one counts nothing.
            log.Write($"pm web {pid}: no IPC dir {ipcDir} yet, so no scoreboard: requests are served but the status report will not count them");
            return null;
        }

        try
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return new WebScoreboard(ScoreboardFile.Create(ScoreboardLayout.FileOf(ipcDir, pid), pid, now.ToUnixTimeMilliseconds()));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Write($"pm web {pid}: no scoreboard in {dir} ({e.Message}): requests are served but the status report will not count them");
            return null;
        }
    }

    /// <summary>The record of app <paramref name="name"/>, made on first use; -1 once every record is taken.</summary>
    public int AppIndex(string name)
    {
        lock (_apps)
        {
            if (_index.TryGetValue(name, out var known))
            {
                return known;
            }

            var app = _index.Count < ScoreboardLayout.AppCapacity ? _index.Count : -1;
            if (app >= 0)
            {
                var at = ScoreboardLayout.AppOffset(app);
                var written = Utf8Into(name, _file.Bytes(at + ScoreboardLayout.AppName, ScoreboardLayout.AppNameMax));
                _file.Int(at + ScoreboardLayout.AppNameLength) = written;
                Volatile.Write(ref _file.Int(at + ScoreboardLayout.AppState), 1);
            }

            _index[name] = app;
            return app;
        }
    }

    /// <summary>A request for <paramref name="app"/> arrived: one more in flight, and a slot showing it; returns the slot, -1 when all are taken.</summary>
    public int Begin(int app, string method, string uri, DateTimeOffset now)
    {
        if (app < 0)
        {
            return -1;
        }

        Interlocked.Increment(ref _file.Long(ScoreboardLayout.AppOffset(app) + ScoreboardLayout.AppInFlight));
        var start = (uint)Interlocked.Increment(ref _slotHint);
        for (var i = 0; i < ScoreboardLayout.SlotCapacity; i++)
        {
            var slot = (int)((start + (uint)i) % ScoreboardLayout.SlotCapacity);
            var at = ScoreboardLayout.SlotOffset(slot);
            ref var sequence = ref _file.Int(at + ScoreboardLayout.SlotSequence);
            var seen = Volatile.Read(ref sequence);
            if ((seen & 1) != 0 || Volatile.Read(ref _file.Int(at + ScoreboardLayout.SlotApp)) != 0 ||
                Interlocked.CompareExchange(ref sequence, seen + 1, seen) != seen)
            {
                continue;
            }

            // Ours, and odd: readers skip it until the fields are whole.
            _file.Int(at + ScoreboardLayout.SlotApp) = app + 1;
            _file.Int(at + ScoreboardLayout.SlotDescriptor) = -1;
            _file.Long(at + ScoreboardLayout.SlotSince) = now.ToUnixTimeMilliseconds();
            _file.Int(at + ScoreboardLayout.SlotMethodLength) = Utf8Into(method, _file.Bytes(at + ScoreboardLayout.SlotMethod, ScoreboardLayout.SlotMethodMax));
            _file.Int(at + ScoreboardLayout.SlotUriLength) = Utf8Into(uri, _file.Bytes(at + ScoreboardLayout.SlotUri, ScoreboardLayout.SlotUriMax));
            Volatile.Write(ref sequence, seen + 2);
            return slot;
        }

        return -1;
    }

    /// <summary>The request in <paramref name="slot"/> is on the app connection <paramref name="descriptor"/> (this process's descriptor number).</summary>
    public void Connected(int slot, int descriptor)
    {
        if (slot < 0)
        {
            return;
        }

        var at = ScoreboardLayout.SlotOffset(slot);
        ref var sequence = ref _file.Int(at + ScoreboardLayout.SlotSequence);
        var seen = sequence;
        Volatile.Write(ref sequence, seen + 1);
        _file.Int(at + ScoreboardLayout.SlotDescriptor) = descriptor;
        Volatile.Write(ref sequence, seen + 2);
    }

    /// <summary>
    /// The request ended: counted, its waits observed (<paramref name="queueWait"/> and <paramref name="service"/>
    /// null when it never reached an instance), one less in flight, its slot freed.
    /// </summary>
    public void End(int app, int slot, TimeSpan? queueWait, TimeSpan? service)
    {
        if (app < 0)
        {
            return;
        }

        var record = ScoreboardLayout.AppOffset(app);
        if (queueWait is { } wait)
        {
            Observe(record + ScoreboardLayout.AppQueueWait, wait);
        }

        if (service is { } served)
        {
            Observe(record + ScoreboardLayout.AppServiceTime, served);
        }

        Interlocked.Increment(ref _file.Long(record + ScoreboardLayout.AppRequests));
        Interlocked.Decrement(ref _file.Long(record + ScoreboardLayout.AppInFlight));
        if (slot >= 0)
        {
            var at = ScoreboardLayout.SlotOffset(slot);
            ref var sequence = ref _file.Int(at + ScoreboardLayout.SlotSequence);
            var seen = sequence;
            Volatile.Write(ref sequence, seen + 1);
            _file.Int(at + ScoreboardLayout.SlotApp) = 0;
            Volatile.Write(ref sequence, seen + 2);
        }
    }

    private void Observe(int histogram, TimeSpan duration)
    {
        var seconds = Math.Max(0, duration.TotalSeconds);
        Interlocked.Increment(ref _file.Long(histogram + (ScoreboardLayout.BucketOf(seconds) * 8)));
        Interlocked.Add(ref _file.Long(histogram + (ScoreboardLayout.Buckets * 8)), (long)(seconds * 1e9));
        Interlocked.Increment(ref _file.Long(histogram + ((ScoreboardLayout.Buckets + 1) * 8)));
    }

    /// <summary>As much of <paramref name="text"/> as fits, as UTF-8 (cut at a character, never inside one); the bytes written.</summary>
    private static int Utf8Into(string text, Span<byte> destination)
    {
        Utf8.FromUtf16(text, destination, out _, out var written, replaceInvalidSequences: true, isFinalBlock: true);
        return written;
    }

    /// <summary>
    /// Unmaps the file and leaves it: the PM adds a dead web process's last counts to its totals before it removes the
    /// file, so that counters never go back when a web process is replaced.
    /// </summary>
    public void Dispose() => _file.Dispose();
}
