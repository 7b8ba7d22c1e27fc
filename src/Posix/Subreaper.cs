using System.Globalization;

namespace Pm.Posix;

/// <summary>
/// prctl(PR_SET_CHILD_SUBREAPER): orphaned descendants (an app's grandchildren whose parent died) are
/// re-parented to this process instead of init, so the PM can reap them and none is left as a zombie of an
/// init that does not reap (some container inits don't). Their pids are found in /proc/self/task/*/children.
/// </summary>
public static class Subreaper
{
    public static void Enable()
    {
        if (Libc.prctl(Libc.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        {
            throw PosixException.FromLastError("prctl(PR_SET_CHILD_SUBREAPER)");
        }
    }

    /// <summary>Every direct child of this process, from /proc/self/task/*/children.</summary>
    public static List<int> Children()
    {
        var result = new List<int>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string text;
            try
            {
                text = File.ReadAllText(Path.Combine(task, "children"));
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (int.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    result.Add(pid);
                }
            }
        }

        return result;
    }
}
