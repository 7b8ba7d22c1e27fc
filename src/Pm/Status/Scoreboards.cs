using System.Globalization;
using Pm.Scoreboard;

namespace Pm.Status;

/// <summary>
/// The PM's side of the web processes' scoreboards (src/Control/Scoreboard/FORMAT.md): every file in the IPC dir's
/// scoreboard directory is read when a status report is built, and the figures summed per app. The file of a web
/// process that is gone is read one last time, its counters kept here, and removed, so a counter never goes back
/// when web processes are replaced. Files left by an earlier PM are removed when this one starts: its counters start
/// at zero, as its uptime does. Used on the supervisor loop only.
/// </summary>
public sealed class Scoreboards
{
    private readonly string _directory;
    private readonly Dictionary<string, AppScores> _retired = new(StringComparer.Ordinal);

    public Scoreboards(string ipcDir)
    {
        _directory = ScoreboardLayout.Directory(ipcDir);
        foreach (var (path, _) in Files())
        {
            TryDelete(path);
        }
    }

    /// <summary>Every app's figures (the gone web processes' counters included) and the requests in flight now.</summary>
    public (IReadOnlyDictionary<string, AppScores> Apps, IReadOnlyList<InFlightRequest> InFlight) Read()
    {
        var apps = new Dictionary<string, AppScores>(StringComparer.Ordinal);
        foreach (var (name, retired) in _retired)
        {
            apps[name] = Copy(retired);
        }

        var inFlight = new List<InFlightRequest>();
        foreach (var (path, pid) in Files())
        {
            var alive = Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}");
            WebScores scores;
            using (var file = ScoreboardFile.Open(path))
            {
                if (file is null)
                {
                    continue;
                }

                scores = WebScores.Read(file);
            }

            foreach (var (name, app) in scores.Apps)
            {
                if (!apps.TryGetValue(name, out var sum))
                {
                    apps[name] = sum = new AppScores();
                }

                sum.AddCounters(app);
                if (alive)
                {
                    sum.InFlight += app.InFlight;
                }
                else
                {
                    if (!_retired.TryGetValue(name, out var kept))
                    {
                        _retired[name] = kept = new AppScores();
                    }

                    kept.AddCounters(app);
                }
            }

            if (alive)
            {
                inFlight.AddRange(scores.InFlight);
            }
            else
            {
                TryDelete(path);
            }
        }

        return (apps, inFlight);
    }

    private static AppScores Copy(AppScores from)
    {
        var copy = new AppScores();
        copy.AddCounters(from);
        return copy;
    }

    private IEnumerable<(string Path, int Pid)> Files()
    {
        string[] paths;
        try
        {
            paths = Directory.GetFiles(_directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }

        foreach (var path in paths)
        {
            if (int.TryParse(Path.GetFileName(path), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                yield return (path, pid);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next read.
        }
    }
}
