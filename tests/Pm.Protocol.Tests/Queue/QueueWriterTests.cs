using Microsoft.Extensions.Time.Testing;
using Pm.Posix;
using Pm.Protocol.Queue;
using Pm.Protocol.Tests.Queue.Support;
using Pm.QueueWriterTool;

namespace Pm.Protocol.Tests.Queue;

/// <summary>QueueWriter against a real reader in the same process: FIFO, spool, replay, bounds, ordering.</summary>
public class QueueWriterTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TempIpcDirectory _ipc = new();
    private readonly List<QueueWriteFailure> _failures = [];
    private readonly List<QueueWriterMode> _modes = [];

    public void Dispose() => _ipc.Dispose();

    [Fact]
    public void Write_WhereNoPmEverRan_DropsWithAReasonAndDoesNotThrow()
    {
        Directory.CreateDirectory(_ipc.Path);
        using var writer = Open();

        writer.Write(QueueRecordFixtures.Start).Should().Be(QueueWriteResult.Dropped);

        writer.Counters.Should().Be(new QueueWriterCounters(0, 0, 1));
        _failures.Should().ContainSingle().Which.Reason.Should().Be(QueueWriteFailureReason.SpoolUnavailable);
        _failures[0].Message.Should().Contain(_ipc.Spool);
    }

    [Fact(Timeout = 30_000)]
    public async Task Write_WhileAReaderRuns_SendsThroughTheFifoInOrder()
    {
        await using var reader = QueueReader.Start(_ipc.Path);
        var collector = new RecordCollector(reader);
        using var writer = Open();

        var results = Enumerable.Range(0, 500).Select(i => writer.Write(QueueSequence.Record(1, 0, i, DateTimeOffset.UtcNow))).ToList();

        results.Should().AllSatisfy(r => r.Should().Be(QueueWriteResult.Sent));
        writer.Mode.Should().Be(QueueWriterMode.Fifo);
        await collector.WaitForCountAsync(500, Timeout);
        SequenceLedger.ShouldBeExactlyOnceInOrder(collector.Snapshot(), new Dictionary<(int, int), long> { [(1, 0)] = 500 });
        reader.Counters.RecordsReplayed.Should().Be(0);
    }

    [Fact(Timeout = 30_000)]
    public async Task Write_WhileThePmIsStopped_SpoolsAndTheNextReaderReplaysExactlyOnce()
    {
        await QueueReader.Start(_ipc.Path).DisposeAsync();
        using var writer = Open();

        var results = Enumerable.Range(0, 300).Select(i => writer.Write(QueueSequence.Record(2, 0, i, DateTimeOffset.UtcNow))).ToList();

        results.Should().AllSatisfy(r => r.Should().Be(QueueWriteResult.Spooled));
        writer.Mode.Should().Be(QueueWriterMode.Spooling);
        await using var reader = QueueReader.Start(_ipc.Path);
        var collector = new RecordCollector(reader);
        await collector.WaitForCountAsync(300, Timeout);
        await reader.StopAsync();
        await collector.Completion;
        SequenceLedger.ShouldBeExactlyOnceInOrder(collector.Snapshot(), new Dictionary<(int, int), long> { [(2, 0)] = 300 });
        reader.Counters.RecordsReplayed.Should().Be(300);
        new FileInfo(_ipc.Spool).Length.Should().Be(0);
    }

    [Fact(Timeout = 30_000)]
    public async Task Write_WhenThePmComesBack_ReturnsToTheFifoOnlyAfterItsSpoolWasTaken()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(55));
        await QueueReader.Start(_ipc.Path).DisposeAsync();
        using var writer = Open(time);
        writer.Write(QueueSequence.Record(3, 0, 0, time.GetUtcNow())).Should().Be(QueueWriteResult.Spooled);
        await using var reader = QueueReader.Start(_ipc.Path);
        var collector = new RecordCollector(reader);

        // Before ReopenInterval has passed the writer does not even look at the FIFO.
        writer.Write(QueueSequence.Record(3, 0, 1, time.GetUtcNow())).Should().Be(QueueWriteResult.Spooled);
        writer.Mode.Should().Be(QueueWriterMode.Spooling);
        time.Advance(TimeSpan.FromMilliseconds(250));

        // Now it finds the reader; until its spooled records are taken it keeps spooling (Draining), then uses
        // the FIFO. Either way nothing may overtake the spooled records.
        var seq = 2;
        await collector.WaitForCountAsync(2, Timeout);
        while (writer.Write(QueueSequence.Record(3, 0, seq++, time.GetUtcNow())) != QueueWriteResult.Sent)
        {
            await collector.WaitForCountAsync(seq, Timeout);
        }

        writer.Mode.Should().Be(QueueWriterMode.Fifo);
        _modes.Should().ContainInOrder(QueueWriterMode.Draining, QueueWriterMode.Fifo);
        await collector.WaitForCountAsync(seq, Timeout);
        SequenceLedger.ShouldBeExactlyOnceInOrder(collector.Snapshot(), new Dictionary<(int, int), long> { [(3, 0)] = seq });
    }

    [Fact(Timeout = 60_000)]
    public async Task Write_WhenThePipeIsFull_WaitsOnlyTheBoundThenSpools_AndNothingIsLost()
    {
        // A one-page pipe and a consumer that does not read yet: the PM is "slow".
        var release = new TaskCompletionSource();
        await using var reader = QueueReader.Start(_ipc.Path, new QueueReaderOptions { PipeCapacityBytes = 4096, ChannelCapacity = 16 });
        var collector = new RecordCollector(reader, count => count == 1 ? release.Task : Task.CompletedTask);
        using var writer = Open(options: o => new QueueWriterOptions { PipeFullWait = TimeSpan.FromMilliseconds(20), Failed = o.Failed, ModeChanged = o.ModeChanged });

        var seq = 0;
        QueueWriteResult result;
        var slowest = TimeSpan.Zero;
        do
        {
            var started = DateTime.UtcNow;
            result = writer.Write(QueueSequence.Record(4, 0, seq++, DateTimeOffset.UtcNow));
            var took = DateTime.UtcNow - started;
            slowest = took > slowest ? took : slowest;
        }
        while (result == QueueWriteResult.Sent && seq < 100_000);

        result.Should().Be(QueueWriteResult.Spooled);
        writer.Mode.Should().Be(QueueWriterMode.Draining);
        slowest.Should().BeLessThan(TimeSpan.FromMilliseconds(500), "a write waits about PipeFullWait (20 ms), never indefinitely");
        for (var i = 0; i < 100; i++)
        {
            writer.Write(QueueSequence.Record(4, 0, seq++, DateTimeOffset.UtcNow)).Should().NotBe(QueueWriteResult.Dropped);
        }

        release.SetResult();
        await collector.WaitForCountAsync(seq, Timeout);
        SequenceLedger.ShouldBeExactlyOnceInOrder(collector.Snapshot(), new Dictionary<(int, int), long> { [(4, 0)] = seq });
        _failures.Should().BeEmpty();
    }

    [Fact(Timeout = 60_000)]
    public async Task Write_FromManyThreads_EveryThreadsRecordsArriveOnceInOrder()
    {
        await using var reader = QueueReader.Start(_ipc.Path);
        var collector = new RecordCollector(reader);
        using var writer = Open();
        const int threads = 8, each = 2000;

        await Task.WhenAll(Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(
            () =>
            {
                for (var i = 0; i < each; i++)
                {
                    writer.Write(QueueSequence.Record(5, t, i, DateTimeOffset.UtcNow));
                }
            },
            TaskCreationOptions.LongRunning)));

        await collector.WaitForCountAsync(threads * each, Timeout);
        SequenceLedger.ShouldBeExactlyOnceInOrder(
            collector.Snapshot(),
            Enumerable.Range(0, threads).ToDictionary(t => (5, t), _ => (long)each));
        writer.Counters.Total.Should().Be(threads * each);
    }

    [Fact(Timeout = 30_000)]
    public async Task Write_ReaderStoppedBetweenTwoWrites_SecondIsSpooledAndReplayedAfterTheFirst()
    {
        var first = QueueReader.Start(_ipc.Path);
        var firstCollector = new RecordCollector(first);
        using var writer = Open();
        writer.Write(QueueSequence.Record(6, 0, 0, DateTimeOffset.UtcNow)).Should().Be(QueueWriteResult.Sent);
        await firstCollector.WaitForCountAsync(1, Timeout);
        await first.StopAsync();
        await first.DisposeAsync();

        writer.Write(QueueSequence.Record(6, 0, 1, DateTimeOffset.UtcNow)).Should().Be(QueueWriteResult.Spooled);

        _modes.Should().Equal(QueueWriterMode.Draining, QueueWriterMode.Fifo, QueueWriterMode.Spooling);
        await using var second = QueueReader.Start(_ipc.Path);
        var secondCollector = new RecordCollector(second);
        await secondCollector.WaitForCountAsync(1, Timeout);
        SequenceLedger.ShouldBeExactlyOnceInOrder(
            firstCollector.Snapshot().Concat(secondCollector.Snapshot()), new Dictionary<(int, int), long> { [(6, 0)] = 2 });
    }

    [Fact(Timeout = 30_000)]
    public async Task Write_ToASpoolTheReaderIsRetiring_MovesToTheFreshFileWithoutWaiting()
    {
        await QueueReader.Start(_ipc.Path).DisposeAsync();
        using var writer = Open(options: o => new QueueWriterOptions { SpoolLockWait = TimeSpan.FromSeconds(5), Failed = o.Failed, ModeChanged = o.ModeChanged });
        writer.Write(QueueSequence.Record(7, 0, 0, DateTimeOffset.UtcNow)).Should().Be(QueueWriteResult.Spooled);
        var firstLength = new FileInfo(_ipc.Spool).Length;

        // Do what a reader does in steps 1 and 2 of a retire, and stop there with the gate closed.
        File.WriteAllBytes(_ipc.Path + "/fresh", []);
        Shell.Run("chmod", "600", _ipc.Path + "/fresh");
        Shell.Run("ln", _ipc.Spool, _ipc.SpoolReplay);
        File.Move(_ipc.Path + "/fresh", _ipc.Spool, overwrite: true);
        var old = PosixFile.OpenReadWriteExisting(_ipc.SpoolReplay);
        try
        {
            FileLock.TryLockRangeExclusiveNoWait(old, SpoolProtocol.Gate, 1).Should().BeTrue();
            var started = DateTime.UtcNow;

            writer.Write(QueueSequence.Record(7, 0, 1, DateTimeOffset.UtcNow)).Should().Be(QueueWriteResult.Spooled);

            (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromSeconds(1), "the writer moves on instead of waiting up to SpoolLockWait (5 s)");
            new FileInfo(_ipc.SpoolReplay).Length.Should().Be(firstLength, "nothing more goes into the file being retired");
            new FileInfo(_ipc.Spool).Length.Should().Be(firstLength, "the second record went to the fresh spool");
        }
        finally
        {
            FileDescriptor.Close(old);
        }

        // A reader started now finds the half-retired file as a leftover and keeps the writer's order.
        await using var reader = QueueReader.Start(_ipc.Path);
        var collector = new RecordCollector(reader);
        await collector.WaitForCountAsync(2, Timeout);
        SequenceLedger.ShouldBeExactlyOnceInOrder(collector.Snapshot(), new Dictionary<(int, int), long> { [(7, 0)] = 2 });
    }

    [Fact]
    public async Task Write_SpoolAtItsSizeLimit_DropsWithSpoolFull()
    {
        await QueueReader.Start(_ipc.Path).DisposeAsync();
        using var writer = Open(options: o => new QueueWriterOptions { MaxSpoolBytes = 100, Failed = o.Failed });

        var results = Enumerable.Range(0, 5).Select(i => writer.Write(QueueRecordFixtures.Start)).ToList();

        results.Should().Equal(QueueWriteResult.Spooled, QueueWriteResult.Spooled, QueueWriteResult.Spooled, QueueWriteResult.Dropped, QueueWriteResult.Dropped);
        new FileInfo(_ipc.Spool).Length.Should().Be(90);
        _failures.Should().HaveCount(2).And.AllSatisfy(f => f.Reason.Should().Be(QueueWriteFailureReason.SpoolFull));
    }

    [Fact]
    public async Task Write_SpoolLockedByAStuckProcess_GivesUpAfterSpoolLockWait()
    {
        await QueueReader.Start(_ipc.Path).DisposeAsync();
        using var writer = Open(options: o => new QueueWriterOptions { SpoolLockWait = TimeSpan.FromMilliseconds(30), Failed = o.Failed });
        var stuck = PosixFile.OpenReadWriteExisting(_ipc.Spool);
        try
        {
            FileLock.TryLockExclusiveNoWait(stuck).Should().BeTrue();
            var started = DateTime.UtcNow;

            writer.Write(QueueRecordFixtures.Start).Should().Be(QueueWriteResult.Dropped);

            (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromSeconds(2));
            _failures.Should().ContainSingle().Which.Reason.Should().Be(QueueWriteFailureReason.SpoolLockTimeout);
        }
        finally
        {
            FileDescriptor.Close(stuck);
        }

        writer.Write(QueueRecordFixtures.Start).Should().Be(QueueWriteResult.Spooled, "the lock is free again");
    }

    [Fact(Timeout = 30_000)]
    public async Task Send_OneCall_WritesOneRecord()
    {
        await using var reader = QueueReader.Start(_ipc.Path);
        var collector = new RecordCollector(reader);

        QueueWriter.Send(_ipc.Path, QueueRecord.Start("/srv/app one*", 33, 33, DateTimeOffset.UtcNow)).Should().Be(QueueWriteResult.Sent);

        await collector.WaitForCountAsync(1, Timeout);
        collector.Snapshot().Single().Path.Should().Be("/srv/app one*");
    }

    [Fact(Timeout = 30_000)]
    public async Task WriteEncoded_ABatchWhileAReaderRuns_EveryRecordArrivesOnceInOrder_CountedOneByOne()
    {
        await using var reader = QueueReader.Start(_ipc.Path);
        var collector = new RecordCollector(reader);
        using var writer = Open();

        writer.WriteEncoded(Batch(4, 0, 30, out var count), count).Should().Be(QueueWriteResult.Sent);

        writer.Counters.Should().Be(new QueueWriterCounters(count, 0, 0));
        await collector.WaitForCountAsync(count, Timeout);
        SequenceLedger.ShouldBeExactlyOnceInOrder(collector.Snapshot(), new Dictionary<(int, int), long> { [(4, 0)] = count });
    }

    [Fact(Timeout = 30_000)]
    public async Task WriteEncoded_ABatchWhileThePmIsStopped_IsSpooledAndReplayedWhole()
    {
        await QueueReader.Start(_ipc.Path).DisposeAsync();
        using var writer = Open();

        writer.WriteEncoded(Batch(5, 0, 20, out var count), count).Should().Be(QueueWriteResult.Spooled);

        writer.Counters.Should().Be(new QueueWriterCounters(0, count, 0));
        await using var reader = QueueReader.Start(_ipc.Path);
        var collector = new RecordCollector(reader);
        await collector.WaitForCountAsync(count, Timeout);
        SequenceLedger.ShouldBeExactlyOnceInOrder(collector.Snapshot(), new Dictionary<(int, int), long> { [(5, 0)] = count });
    }

    [Fact]
    public void WriteEncoded_MoreThanPipeBuf_IsRefusedBeforeAnythingIsWritten()
    {
        using var writer = Open();

        var act = () => writer.WriteEncoded(new byte[QueueRecordCodec.MaxRecordBytes + 1], 40);

        act.Should().Throw<ArgumentException>().WithMessage("*4096*");
        writer.Counters.Should().Be(new QueueWriterCounters(0, 0, 0));
    }

    [Fact]
    public void Write_AfterDispose_Throws()
    {
        var writer = Open();
        writer.Dispose();

        var act = () => writer.Write(QueueRecordFixtures.Start);

        act.Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void Write_PathTooLongForARecord_IsRefusedBeforeAnythingIsWritten()
    {
        var act = () => QueueRecord.Start("/" + new string('x', 5000), 1, 1, DateTimeOffset.UtcNow);

        act.Should().Throw<QueuePathTooLongException>();
    }

    /// <summary>Up to <paramref name="max"/> sequence records of one writer thread encoded back to back, within PIPE_BUF.</summary>
    private static byte[] Batch(int writer, int thread, int max, out int count)
    {
        var bytes = new byte[QueueRecordCodec.MaxRecordBytes];
        var length = 0;
        count = 0;
        while (count < max)
        {
            var record = QueueSequence.Record(writer, thread, count, DateTimeOffset.UtcNow);
            if (length + QueueRecordCodec.GetEncodedLength(record) > bytes.Length)
            {
                break;
            }

            length += QueueRecordCodec.Encode(record, bytes.AsSpan(length));
            count++;
        }

        return bytes[..length];
    }

    private QueueWriter Open(TimeProvider? time = null, Func<QueueWriterOptions, QueueWriterOptions>? options = null)
    {
        var o = new QueueWriterOptions
        {
            TimeProvider = time ?? TimeProvider.System,
            Failed = f => { lock (_failures) _failures.Add(f); },
            ModeChanged = m => { lock (_modes) _modes.Add(m); },
        };
        return QueueWriter.Open(_ipc.Path, options is null ? o : options(o));
    }
}
