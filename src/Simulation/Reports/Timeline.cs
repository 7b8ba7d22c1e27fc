namespace Pm.Simulation;

/// <summary>
/// Instances and queue length over a run, cut into equal buckets. Each bucket keeps the maximum it saw (including
/// the value carried in from the previous bucket), so a short spike is not lost between samples.
/// </summary>
public sealed class Timeline
{
    private readonly int[] _instances;
    private readonly int[] _queue;
    private int _lastBucket = -1;
    private int _lastInstances;
    private int _lastQueue;

    public Timeline(TimeSpan duration, int buckets)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        Duration = duration > TimeSpan.Zero ? duration : TimeSpan.FromSeconds(1);
        BucketWidth = Duration / buckets;
        _instances = new int[buckets];
        _queue = new int[buckets];
    }

    public TimeSpan Duration { get; }

    public TimeSpan BucketWidth { get; }

    public int Count => _instances.Length;

    /// <summary>Bucket i covers [i*BucketWidth, (i+1)*BucketWidth).</summary>
    public IReadOnlyList<int> Instances => _instances;

    public IReadOnlyList<int> Queue => _queue;

    internal void Record(TimeSpan at, int instances, int queue)
    {
        var bucket = (int)Math.Clamp(at.Ticks / Math.Max(1, BucketWidth.Ticks), 0, _instances.Length - 1);
        CarryTo(bucket);
        _instances[bucket] = Math.Max(_instances[bucket], instances);
        _queue[bucket] = Math.Max(_queue[bucket], queue);
        _lastInstances = instances;
        _lastQueue = queue;
    }

    internal void Finish() => CarryTo(_instances.Length - 1);

    private void CarryTo(int bucket)
    {
        while (_lastBucket < bucket)
        {
            _lastBucket++;
            _instances[_lastBucket] = _lastInstances;
            _queue[_lastBucket] = _lastQueue;
        }
    }
}
