using Microsoft.Extensions.Logging;
using Pm.Policy;
using Pm.Protocol.Queue;
using Pm.Engine;
using Pm.Supervision;

namespace Pm.Queue;

/// <summary>
/// Moves records from the queue reader to the supervisor in batches (one loop event per batch, however many
/// records arrived), turning each into the policy event it means. Garbage the reader skipped is logged here,
/// with where it was and why. With a trace file, every completion is also written to it, for `pm simulate`.
/// </summary>
public sealed class QueuePump : IAsyncDisposable
{
    private const int MaxBatch = 4096;

    private readonly QueueReader _reader;
    private readonly Supervisor _supervisor;
    private readonly ILogger _log;
    private readonly TraceWriter? _trace;
    private readonly Task _pumping;

    public QueuePump(QueueReader reader, Supervisor supervisor, ILogger log, TraceWriter? trace)
    {
        _reader = reader;
        _supervisor = supervisor;
        _log = log;
        _trace = trace;
        _pumping = Task.Run(PumpAsync);
    }

    /// <summary>Starts reading the queue in the IPC dir: the spool first (what web processes wrote while no PM ran), then the FIFO.</summary>
    public static QueueReader OpenReader(string ipcDir, uint? writerGroup, ILogger log) =>
        QueueReader.Start(ipcDir, new QueueReaderOptions
        {
            Access = writerGroup is { } gid ? QueueAccess.Group(gid) : QueueAccess.OwnerOnly,
            Skipped = skip => log.LogWarning("queue: skipped {Skip}", skip),
        });

    private async Task PumpAsync()
    {
        var records = _reader.Records;
        var batch = new List<(string, PolicyEvent)>(256);
        try
        {
            while (await records.WaitToReadAsync().ConfigureAwait(false))
            {
                while (batch.Count < MaxBatch && records.TryRead(out var record))
                {
                    if (record.Kind is QueueRecordKind.SlowRequest or QueueRecordKind.RequestTimedOut)
                    {
                        // Not demand: which instance holds that request is the supervisor's to find, at once.
                        _supervisor.PostOverdue(record);
                        continue;
                    }

                    batch.Add((record.Path, ToEvent(record)));
                    if (_trace is not null && record.Kind == QueueRecordKind.Complete)
                    {
                        _trace.WriteCompletion(record.Path, record.Timestamp, record.QueueTime, record.ServiceTime);
                    }
                }

                if (batch.Count > 0)
                {
                    _supervisor.PostDemand(batch.ToArray());
                    batch.Clear();
                }

                _trace?.Flush();
            }
        }
        catch (Exception ex)
        {
            _log.LogError(ex, "queue: reading stopped");
        }
    }

    private static PolicyEvent ToEvent(in QueueRecord r) => r.Kind switch
    {
        QueueRecordKind.Start => new StartRequested(r.Path, r.Timestamp),
        QueueRecordKind.MoreNeeded => new MoreRequested(r.Path, r.Timestamp),
        QueueRecordKind.Complete => new RequestCompleted(r.Path, r.Timestamp, r.QueueTime, r.ServiceTime),
        _ => new BinaryChanged(r.Path, r.Timestamp) { ModifiedAt = ModifiedAt(r.Path) },
    };

    private static DateTimeOffset? ModifiedAt(string path)
    {
        try
        {
            return File.Exists(path) ? new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.StopAsync().ConfigureAwait(false);
        await _pumping.ConfigureAwait(false);
        _trace?.Dispose();
    }
}
