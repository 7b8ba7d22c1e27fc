using System.Globalization;
using System.Text;
using Pm.Diagnosis;
using Pm.Supervision;

namespace Pm.Hosting;

/// <summary>
/// The instances the PM runs, written down in the IPC dir so that a PM started after a crash (watchdog and core
/// both killed) can prove which leftover processes are its own: "+PID STARTTIME" when one is spawned (STARTTIME is
/// field 22 of /proc/PID/stat, so a reused pid does not match), "-PID" when it is reaped. One small append per
/// spawn and per reap, off the restart path's critical part (after the spawn); rewritten when mostly dead lines.
/// </summary>
public sealed class InstanceRegistry : IInstanceRegistry, IDisposable
{
    private const int CompactAfter = 4096;

    private readonly string _path;
    private readonly Dictionary<int, ulong> _live = [];
    private FileStream _file;
    private int _lines;

    public InstanceRegistry(string path)
    {
        _path = path;
        _file = Open(path, FileMode.Create);
    }

    public static string PathIn(string ipcDir) => Path.Combine(ipcDir, "instances");

    public void Spawned(int pid)
    {
        if (ProcStat.Read($"/proc/{pid}/stat") is not { } stat)
        {
            return; // Gone already: its exit is on its way.
        }

        _live[pid] = stat.StartTicks;
        Append($"+{pid} {stat.StartTicks}\n");
    }

    public void Reaped(int pid)
    {
        if (_live.Remove(pid))
        {
            Append($"-{pid}\n");
        }

        if (_lines > CompactAfter && _lines > 4 * _live.Count)
        {
            Compact();
        }
    }

    /// <summary>What a registry file says is live: pid and start time (a crashed PM's, read before it is replaced).</summary>
    public static Dictionary<int, ulong> ReadLive(string path)
    {
        var live = new Dictionary<int, ulong>();
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return live;
        }

        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            if (line.StartsWith('+') && parts.Length == 2
                && int.TryParse(parts[0].AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
            {
                live[pid] = start;
            }
            else if (line.StartsWith('-') && int.TryParse(line.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var gone))
            {
                live.Remove(gone);
            }
        }

        return live;
    }

    private void Append(string line)
    {
        try
        {
            _file.Write(Encoding.ASCII.GetBytes(line));
            _file.Flush();
            _lines++;
        }
        catch (IOException)
        {
            // A full disk must not stop the PM; the fd proof still finds leftovers.
        }
    }

    private void Compact()
    {
        var text = new StringBuilder();
        foreach (var (pid, start) in _live)
        {
            text.Append(CultureInfo.InvariantCulture, $"+{pid} {start}\n");
        }

        var temporary = _path + ".new";
        File.WriteAllText(temporary, text.ToString());
        File.Move(temporary, _path, overwrite: true);
        _file.Dispose();
        _file = Open(_path, FileMode.Append);
        _lines = _live.Count;
    }

    private static FileStream Open(string path, FileMode mode) =>
        new(path, mode, FileAccess.Write, FileShare.Read, bufferSize: 0);

    public void Dispose()
    {
        _file.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
        }
    }
}
