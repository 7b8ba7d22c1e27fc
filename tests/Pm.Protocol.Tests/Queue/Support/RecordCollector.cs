using Pm.Protocol.Queue;

namespace Pm.Protocol.Tests.Queue.Support;

/// <summary>
/// Drains a reader's channel in the background into a list, optionally throttled to play a slow PM, and lets
/// a test await a record count instead of sleeping.
/// </summary>
public sealed class RecordCollector
{
    private readonly List<QueueRecord> _records = [];
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
    private readonly Lock _lock = new();

    public RecordCollector(QueueReader reader, Func<int, Task>? throttle = null)
    {
        Completion = Task.Run(async () =>
        {
            await foreach (var r in reader.Records.ReadAllAsync())
            {
                int count;
                lock (_lock)
                {
                    _records.Add(r);
                    count = _records.Count;
                    foreach (var w in _waiters.Where(w => w.Count <= count))
                    {
                        w.Reached.TrySetResult();
                    }
                }

                if (throttle is not null)
                {
                    await throttle(count);
                }
            }
        });
    }

    /// <summary>Ends when the reader completes its channel.</summary>
    public Task Completion { get; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _records.Count;
            }
        }
    }

    public List<QueueRecord> Snapshot()
    {
        lock (_lock)
        {
            return [.. _records];
        }
    }

    public async Task WaitForCountAsync(int count, TimeSpan timeout)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_records.Count >= count)
            {
                return;
            }

            _waiters.Add((count, reached));
        }

        var done = await Task.WhenAny(reached.Task, Completion, Task.Delay(timeout));
        if (done != reached.Task)
        {
            throw new TimeoutException($"expected {count} records, got {Count} within {timeout}{(Completion.IsCompleted ? " (reader completed)" : "")}");
        }
    }
}
