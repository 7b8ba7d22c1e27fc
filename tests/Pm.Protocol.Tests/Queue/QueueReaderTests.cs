using Pm.Posix;
using Pm.Protocol.Queue;
using Pm.Protocol.Tests.Queue.Support;

namespace Pm.Protocol.Tests.Queue;

/// <summary>The reader against real FIFOs and spool files, with garbage put there directly (in-process writers).</summary>
public class QueueReaderTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TempIpcDirectory _ipc = new();

    public void Dispose() => _ipc.Dispose();

    [Fact(Timeout = 30_000)]
    public async Task GarbageWrittenToTheFifo_BetweenGoodRecords_IsSkippedCountedAndReported()
    {
        var skips = new List<QueueSkip>();
        await using var reader = QueueReader.Start(_ipc.Path, new QueueReaderOptions { Skipped = s => { lock (skips) skips.Add(s); } });
        var collector = new RecordCollector(reader);
        var garbage = "S /srv/app 33 33*C /srv/app 33 33 10 20*"u8.ToArray();

        WriteToFifo(QueueRecordFixtures.StartBytes);
        WriteToFifo(garbage);
        WriteToFifo(QueueRecordFixtures.CompleteBytes);

        await collector.WaitForCountAsync(2, Timeout);
        collector.Snapshot().Should().Equal(QueueRecordFixtures.Start, QueueRecordFixtures.Complete);
        reader.Counters.SkippedBytes.Should().Be(garbage.Length);
        lock (skips)
        {
            skips.Should().Equal(new QueueSkip(QueueSource.Fifo, QueueRecordFixtures.StartBytes.Length, garbage.Length, QueueSkipReason.Garbage));
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task HalfARecordInTheFifo_IsSkippedOnceThePipeIsEmpty_NotWaitedFor()
    {
        await using var reader = QueueReader.Start(_ipc.Path);
        var collector = new RecordCollector(reader);

        // A writer that does not write whole records: the rest of this one never comes.
        WriteToFifo(QueueRecordFixtures.MoreNeededBytes[..20]);
        WriteToFifo(QueueRecordFixtures.StartBytes);

        await collector.WaitForCountAsync(1, Timeout);
        collector.Snapshot().Should().Equal(QueueRecordFixtures.Start);
        reader.Counters.BadRecords.Should().Be(1);
        reader.Counters.SkippedBytes.Should().Be(20);
    }

    [Fact(Timeout = 30_000)]
    public async Task OversizedWriteToTheFifo_IsSkippedAndTheReaderGoesOn()
    {
        await using var reader = QueueReader.Start(_ipc.Path);
        var collector = new RecordCollector(reader);
        var huge = RawRecord.Concat(Enumerable.Repeat(new byte[] { 0xFE, 0x51, 0x01, 0x53, 0xFF, 0xFF }, 20_000).SelectMany(b => b).ToArray());

        WriteToFifoBlocking(huge);
        WriteToFifo(QueueRecordFixtures.BinaryChangedBytes);

        await collector.WaitForCountAsync(1, Timeout);
        collector.Snapshot().Should().Equal(QueueRecordFixtures.BinaryChanged);
        reader.Counters.SkippedBytes.Should().Be(huge.Length);
        reader.Counters.BadRecords.Should().Be(20_000);
    }

    [Fact(Timeout = 30_000)]
    public async Task GarbageInTheSpool_IsSkippedOnReplay_GoodRecordsDelivered()
    {
        await QueueReader.Start(_ipc.Path).DisposeAsync();
        var garbage = new byte[] { 0xFE, 0x51, 0x07, 0x00, 1, 2, 3 };
        File.WriteAllBytes(_ipc.Spool, RawRecord.Concat(QueueRecordFixtures.StartBytes, garbage, QueueRecordFixtures.CompleteBytes, QueueRecordFixtures.MoreNeededBytes[..30]));
        var skips = new List<QueueSkip>();

        await using var reader = QueueReader.Start(_ipc.Path, new QueueReaderOptions { Skipped = s => { lock (skips) skips.Add(s); } });
        var collector = new RecordCollector(reader);

        await collector.WaitForCountAsync(2, Timeout);
        collector.Snapshot().Should().Equal(QueueRecordFixtures.Start, QueueRecordFixtures.Complete);
        await WaitUntil(() => reader.Counters.SpoolReplays == 1, Timeout, "the reader counts one spool replay");
        lock (skips)
        {
            skips.Should().Equal(
                new QueueSkip(QueueSource.Spool, QueueRecordFixtures.StartBytes.Length, garbage.Length, QueueSkipReason.UnsupportedVersion),
                new QueueSkip(QueueSource.Spool, QueueRecordFixtures.StartBytes.Length + garbage.Length + QueueRecordFixtures.CompleteBytes.Length, 30, QueueSkipReason.Truncated));
        }

        new FileInfo(_ipc.Spool).Length.Should().Be(0);
        File.Exists(_ipc.SpoolReplay).Should().BeFalse();
    }

    [Fact(Timeout = 30_000)]
    public async Task ReplayFileLeftByACrashedPm_IsReplayedFirstAndRemoved()
    {
        await QueueReader.Start(_ipc.Path).DisposeAsync();
        File.WriteAllBytes(_ipc.SpoolReplay, QueueRecordFixtures.StartBytes);
        Shell.Run("chmod", "400", _ipc.SpoolReplay);
        File.WriteAllBytes(_ipc.Spool, QueueRecordFixtures.MoreNeededBytes);

        await using var reader = QueueReader.Start(_ipc.Path);
        var collector = new RecordCollector(reader);

        await collector.WaitForCountAsync(2, Timeout);
        collector.Snapshot().Should().Equal(QueueRecordFixtures.Start, QueueRecordFixtures.MoreNeeded);
        await WaitUntil(() => reader.Counters.SpoolReplays == 2, Timeout, "the reader counts two spool replays");
        File.Exists(_ipc.SpoolReplay).Should().BeFalse();
    }

    [Fact(Timeout = 30_000)]
    public async Task ReplayFileThatIsStillTheSpool_IsDeliveredOnlyOnce()
    {
        // A PM that died between link() and rename(): both names are the same file.
        await QueueReader.Start(_ipc.Path).DisposeAsync();
        File.WriteAllBytes(_ipc.Spool, QueueRecordFixtures.StartBytes);
        Shell.Run("ln", _ipc.Spool, _ipc.SpoolReplay);

        await using var reader = QueueReader.Start(_ipc.Path);
        var collector = new RecordCollector(reader);

        await collector.WaitForCountAsync(1, Timeout);
        await WaitUntil(() => reader.Counters.SpoolReplays == 1, Timeout, "the reader counts one spool replay");
        await reader.StopAsync();
        await collector.Completion;
        collector.Snapshot().Should().Equal(QueueRecordFixtures.Start);
    }

    [Fact(Timeout = 30_000)]
    public async Task RecordsAppendedToTheSpoolWhileRunning_AreReplayedPromptly()
    {
        await using var reader = QueueReader.Start(_ipc.Path);
        var collector = new RecordCollector(reader);

        using (var spool = new FileStream(_ipc.Spool, FileMode.Append, FileAccess.Write))
        {
            spool.Write(QueueRecordFixtures.CompleteBytes);
        }

        // Found through inotify, not the 1 s periodic check (which would also find it, later).
        await collector.WaitForCountAsync(1, Timeout);
        collector.Snapshot().Should().Equal(QueueRecordFixtures.Complete);
        reader.Counters.RecordsReplayed.Should().Be(1);
    }

    [Fact(Timeout = 30_000)]
    public async Task AWriterStuckInsideItsSlot_DelaysOnlyThatSpoolFile_TheFifoKeepsFlowing()
    {
        await using var reader = QueueReader.Start(_ipc.Path, new QueueReaderOptions { LockRetryInterval = TimeSpan.FromMilliseconds(2) });
        var collector = new RecordCollector(reader);
        PosixFile.TryOpenAppendExisting(_ipc.Spool, out var stuck, out _).Should().BeTrue();
        try
        {
            // A writer that took its slot, appended, and then stopped (SIGSTOP, or hostile).
            FileLock.TryLockRangeExclusiveNoWait(stuck, SpoolProtocol.WriterSlot(12345), 1).Should().BeTrue();
            PosixFile.WriteOnceReturningErrno(stuck, QueueRecordFixtures.StartBytes).Should().Be(QueueRecordFixtures.StartBytes.Length);
            await WaitUntil(() => reader.Counters.SpoolLockBusy >= 3, Timeout, "the reader finds the spool lock busy 3 times");

            WriteToFifo(QueueRecordFixtures.CompleteBytes);
            await collector.WaitForCountAsync(1, Timeout);
            collector.Snapshot().Should().Equal(QueueRecordFixtures.Complete);
        }
        finally
        {
            FileDescriptor.Close(stuck);
        }

        await collector.WaitForCountAsync(2, Timeout);
        collector.Snapshot().Should().Equal(QueueRecordFixtures.Complete, QueueRecordFixtures.Start);
    }

    [Fact(Timeout = 30_000)]
    public async Task LastWriterClosingTheFifo_IsNotEndOfFile()
    {
        await using var reader = QueueReader.Start(_ipc.Path);
        var collector = new RecordCollector(reader);

        WriteToFifo(QueueRecordFixtures.StartBytes);
        await collector.WaitForCountAsync(1, Timeout);
        WriteToFifo(QueueRecordFixtures.CompleteBytes);

        await collector.WaitForCountAsync(2, Timeout);
        reader.Completion.IsCompleted.Should().BeFalse();
    }

    [Fact(Timeout = 30_000)]
    public async Task StopAsync_CompletesTheChannelAndClosesTheFifo()
    {
        var reader = QueueReader.Start(_ipc.Path);
        var collector = new RecordCollector(reader);
        WriteToFifo(QueueRecordFixtures.StartBytes);
        await collector.WaitForCountAsync(1, Timeout);

        await reader.StopAsync();
        await reader.DisposeAsync();

        await collector.Completion;
        reader.Completion.IsCompletedSuccessfully.Should().BeTrue();
        PosixFile.TryOpenWriteOnlyNonBlocking(_ipc.Fifo, out _, out var errno).Should().BeFalse();
        errno.Should().Be(Errno.ENXIO, "no reader holds the FIFO any more");
    }

    private void WriteToFifo(byte[] bytes)
    {
        PosixFile.TryOpenWriteOnlyNonBlocking(_ipc.Fifo, out var fd, out var errno).Should().BeTrue($"errno {errno}");
        try
        {
            PosixFile.WriteOnceReturningErrno(fd, bytes).Should().Be(bytes.Length);
        }
        finally
        {
            FileDescriptor.Close(fd);
        }
    }

    // For writes above PIPE_BUF: a FileStream writes it all, in as many pieces as the pipe takes.
    private void WriteToFifoBlocking(byte[] bytes)
    {
        using var fifo = new FileStream(_ipc.Fifo, FileMode.Open, FileAccess.Write);
        fifo.Write(bytes);
    }
}
