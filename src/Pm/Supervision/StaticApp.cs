using Pm.Policy.Restart;
using Pm.Spawning;

namespace Pm.Supervision;

/// <summary>
/// An app with a fixed number of instances, always restarted: a FastCgiServer, or the web processes themselves.
/// Each of its -processes places is a slot with its own restart timing; failures are counted per app.
/// </summary>
public sealed class StaticApp : SupervisedApp
{
    public StaticApp(string name, string kind, ListenSocket socket, SpawnSpec spec, int processes, RestartOptions restart, string? url)
        : base(name, kind, socket, spec)
    {
        Restart = restart;
        Url = url;
        _slots = Enumerable.Range(0, processes).Select(i => new AppSlot(i)).ToList();
    }

    private readonly List<AppSlot> _slots;

    /// <summary>Its restart timing; a reload may change it.</summary>
    public RestartOptions Restart { get; set; }

    public string? Url { get; }

    /// <summary>Every slot it has had: a reload that lowers -processes retires the last ones, and one that raises it brings them back.</summary>
    public IReadOnlyList<AppSlot> Slots => _slots;

    /// <summary>The slots in use: -processes of them.</summary>
    public IEnumerable<AppSlot> ActiveSlots => _slots.Where(s => !s.Retired);

    /// <summary>Whether a reload removed it: its instances drain and stop, and nothing restarts.</summary>
    public bool Removed { get; set; }

    /// <summary>Sets -processes: slots beyond it are retired (their instances stop), missing ones added or taken back. Returns the slots to start.</summary>
    public IReadOnlyList<AppSlot> Resize(int processes)
    {
        var start = new List<AppSlot>();
        for (var i = 0; i < Math.Max(processes, _slots.Count); i++)
        {
            if (i >= _slots.Count)
            {
                _slots.Add(new AppSlot(i));
                start.Add(_slots[i]);
            }
            else if (i < processes && _slots[i].Retired)
            {
                _slots[i].Retired = false;
                start.Add(_slots[i]);
            }
            else if (i >= processes)
            {
                _slots[i].Retired = true;
                _slots[i].CancelStart();
            }
        }

        return start;
    }

    public int ConsecutiveFailures { get; set; }
}
