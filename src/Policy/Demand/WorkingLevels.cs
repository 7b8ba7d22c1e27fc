namespace Pm.Policy;

/// <summary>
/// The working level of an app (its busy instances, and its idle ones while more connections wait than they take)
/// at each evaluation of the last <see cref="DrainCredit.RecentWindow"/>: the level that produced the completions
/// Little's law divides by. Between two evaluations the level is taken to move in a straight line (a snapshot says
/// nothing of when it changed in between); before the first one kept, it is taken as that one's.
/// </summary>
internal sealed class WorkingLevels
{
    private readonly List<(DateTimeOffset At, int Working)> _levels = [];

    /// <summary>Levels kept now (for tests).</summary>
    public int Count => _levels.Count;

    /// <summary>Records the level seen at <paramref name="now"/>; an evaluation at the same instant replaces the last.</summary>
    public void Record(DateTimeOffset now, int working)
    {
        if (_levels.Count > 0 && _levels[^1].At >= now)
        {
            _levels[^1] = (_levels[^1].At, working);
            return;
        }

        _levels.Add((now, working));
    }

    /// <summary>Drops the levels no mean from <paramref name="since"/> on needs: all but the last one at or before it.</summary>
    public void Trim(DateTimeOffset since)
    {
        var keepFrom = 0;
        while (keepFrom + 1 < _levels.Count && _levels[keepFrom + 1].At <= since)
        {
            keepFrom++;
        }

        if (keepFrom > 0)
        {
            _levels.RemoveRange(0, keepFrom);
        }
    }

    /// <summary>The mean level over [<paramref name="from"/>, the last level recorded]; null when none is.</summary>
    public double? Mean(DateTimeOffset from)
    {
        if (_levels.Count == 0)
        {
            return null;
        }

        var (lastAt, lastWorking) = _levels[^1];
        var total = (lastAt - from).TotalSeconds;
        if (total <= 0)
        {
            return lastWorking;
        }

        var (firstAt, firstWorking) = _levels[0];
        var area = firstAt > from ? firstWorking * (firstAt - from).TotalSeconds : 0;
        for (var i = 0; i + 1 < _levels.Count; i++)
        {
            var (t0, w0) = _levels[i];
            var (t1, w1) = _levels[i + 1];
            if (t1 <= from)
            {
                continue;
            }

            var start = t0 < from ? from : t0;
            var startLevel = w0 + ((w1 - w0) * (start - t0).TotalSeconds / (t1 - t0).TotalSeconds);
            area += (startLevel + w1) / 2 * (t1 - start).TotalSeconds;
        }

        return area / total;
    }
}
