using System.Globalization;

namespace Pm.Config;

/// <summary>
/// How one static app differs between the running config and the one a reload read, in words (<see cref="What"/>),
/// and what that asks for: its instances rolled over (<see cref="RollsInstances"/>), instances added or retired
/// (<see cref="ProcessesChanged"/>), new restart timing, or only new web processes (<see cref="RoutingChanged"/>).
/// </summary>
public sealed record AppChange(StaticAppConfig Old, StaticAppConfig New, IReadOnlyList<string> What,
    bool RollsInstances, bool ProcessesChanged, bool RestartChanged, bool RoutingChanged)
{
    /// <summary>Null when nothing differs but where the directive is.</summary>
    public static AppChange? Between(StaticAppConfig old, StaticAppConfig next, bool wrapperChanged)
    {
        var what = new List<string>();
        var roll = false;
        void Instances(bool differs, string name)
        {
            if (differs)
            {
                what.Add(name);
                roll = true;
            }
        }

        Instances(!old.Arguments.SequenceEqual(next.Arguments, StringComparer.Ordinal), "arguments");
        Instances(!old.Environment.SequenceEqual(next.Environment, StringComparer.Ordinal), "environment");
        Instances(old.Priority != next.Priority, "priority");
        Instances(!Equals(old.RunAs, next.RunAs), "user or group");
        Instances(old.Limits != next.Limits, "instance limits");
        Instances(old.ListenQueueDepth != next.ListenQueueDepth, "listen-queue-depth");
        Instances(wrapperChanged, "FastCgiWrapper");

        var processes = old.Processes != next.Processes;
        if (processes)
        {
            what.Add(string.Create(CultureInfo.InvariantCulture, $"processes {old.Processes} -> {next.Processes}"));
        }

        var restart = old.InitStartDelay != next.InitStartDelay || old.RestartDelay != next.RestartDelay ||
            old.MinServerLife != next.MinServerLife || old.BackoffMax != next.BackoffMax;
        if (restart)
        {
            what.Add("restart timing");
        }

        var routing = old.UrlPrefix != next.UrlPrefix || old.DocumentRoot != next.DocumentRoot || !Equals(old.DocumentRootRules, next.DocumentRootRules) || !ConfigChanges.SameRequest(old.Request, next.Request);
        if (routing)
        {
            what.Add("request settings (web processes)");
        }

        return what.Count == 0 ? null : new AppChange(old, next, what, roll, processes, restart, routing);
    }
}
