using Pm.Protocol.Queue;
using Pm.Protocol.Tests.Queue.Support;

namespace Pm.Protocol.Tests.Queue;

/// <summary>
/// Many real writer processes (pm-queuewriter) against one reader: exact counts, nothing lost, torn, duplicated
/// or reordered; with a slowed reader; and with the reader stopped and started again while they write.
/// Every test kills what it started and checks that no writer is left (WriterProcesses.DisposeAsync).
/// </summary>
[Collection(nameof(QueueProcessTests))]
public class QueueProcessTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TempIpcDirectory _ipc = new();

    public void Dispose() => _ipc.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task EightWriterProcesses_EveryRecordArrivesExactlyOnceWholeAndInOrder()
    {
        await using var reader = QueueReader.Start(_ipc.Path);
        var collector = new RecordCollector(reader);
        await using var writers = new WriterProcesses();

        for (var id = 0; id < 8; id++)
        {
            writers.Start(_ipc.Path, id, threads: 2, mode: "--count 5000");
        }

        var written = await writers.WaitAllDoneAsync(Timeout);
        written.Values.Sum().Should().Be(8 * 2 * 5000);
        await collector.WaitForCountAsync(8 * 2 * 5000, Timeout);
        await reader.StopAsync();
        await collector.Completion;

        SequenceLedger.ShouldBeExactlyOnceInOrder(collector.Snapshot(), written);
        reader.Counters.SkippedBytes.Should().Be(0);
        reader.Counters.BadRecords.Should().Be(0);
    }

    [Fact(Timeout = 120_000)]
    public async Task EightWriterProcesses_AgainstASlowedReader_SpoolButLoseNothing()
    {
        // A small channel and a consumer that pauses every 500 records: the pipe fills, writers spool.
        await using var reader = QueueReader.Start(_ipc.Path, new QueueReaderOptions { ChannelCapacity = 256, PipeCapacityBytes = 16 * 1024 });
        var collector = new RecordCollector(reader, count => count % 500 == 0 ? Task.Delay(15) : Task.CompletedTask);
        await using var writers = new WriterProcesses();

        for (var id = 0; id < 8; id++)
        {
            writers.Start(_ipc.Path, id, threads: 1, mode: "--count 4000");
        }

        var written = await writers.WaitAllDoneAsync(Timeout);
        await collector.WaitForCountAsync(8 * 4000, Timeout);
        await reader.StopAsync();
        await collector.Completion;

        SequenceLedger.ShouldBeExactlyOnceInOrder(collector.Snapshot(), written);
        reader.Counters.RecordsReplayed.Should().BeGreaterThan(0, "the slowed reader should have made writers spool");
        writers.Children.Should().AllSatisfy(c => c.Lines.Should().NotContain(l => l.StartsWith("failed", StringComparison.Ordinal)));
    }

    [Fact(Timeout = 120_000)]
    public async Task ReaderStoppedWhileWritersWrite_ThenStartedAgain_EverythingArrivesExactlyOnceInOrder()
    {
        var first = QueueReader.Start(_ipc.Path);
        var firstCollector = new RecordCollector(first);
        await using var writers = new WriterProcesses();
        for (var id = 0; id < 8; id++)
        {
            writers.Start(_ipc.Path, id, threads: 1, mode: "--until-stop", rate: 2000);
        }

        // Every writer must be writing to the FIFO before the PM stops (a writer starts out spooling, silently).
        foreach (var c in writers.Children)
        {
            await c.WaitForLineAsync(l => l == "mode Fifo", Timeout);
        }

        await firstCollector.WaitForCountAsync(2000, Timeout);

        // The PM stops: every writer notices (EPIPE) and spools while no reader runs.
        await first.StopAsync();
        await first.DisposeAsync();
        await firstCollector.Completion;
        var marks = writers.Children.Select(c => c.LineCount).ToList();
        foreach (var c in writers.Children)
        {
            await c.WaitForLineAsync(l => l == "mode Spooling", Timeout);
        }

        await GrowsAsync(_ipc.Spool, 20_000);

        // The PM starts again: it replays the spool, and every writer comes back to the FIFO.
        await using var second = QueueReader.Start(_ipc.Path);
        var secondCollector = new RecordCollector(second);
        for (var i = 0; i < writers.Children.Count; i++)
        {
            await writers.Children[i].WaitForLineAsync(l => l == "mode Fifo", Timeout, from: marks[i]);
        }

        foreach (var c in writers.Children)
        {
            c.Send("stop");
        }

        var written = await writers.WaitAllDoneAsync(Timeout);
        var total = (int)written.Values.Sum();
        await secondCollector.WaitForCountAsync(total - firstCollector.Count, Timeout);
        await second.StopAsync();
        await secondCollector.Completion;

        SequenceLedger.ShouldBeExactlyOnceInOrder(firstCollector.Snapshot().Concat(secondCollector.Snapshot()), written);
        second.Counters.RecordsReplayed.Should().BeGreaterThan(0);
    }

    [RootFact(Timeout = 120_000)]
    public async Task WriterOutsideTheAllowedUsers_CannotWrite_AndIsToldWhy()
    {
        await using var reader = QueueReader.Start(_ipc.Path);
        var collector = new RecordCollector(reader);
        await using var writers = new WriterProcesses();

        var nobody = writers.Start(_ipc.Path, 1, threads: 1, mode: "--count 10", runAsUser: Nobody);

        await writers.WaitAllDoneAsync(Timeout, expectDrops: true);
        var done = nobody.Lines.Single(l => l.StartsWith("done ", StringComparison.Ordinal));
        nobody.Field(done, "dropped").Should().Be(10);
        nobody.Lines.Should().Contain(l => l.Contains("Permission denied", StringComparison.Ordinal));
        await reader.StopAsync();
        await collector.Completion;
        collector.Count.Should().Be(0);
    }

    [RootFact(Timeout = 120_000)]
    public async Task WriterInTheConfiguredGroup_CanWrite()
    {
        await using var reader = QueueReader.Start(_ipc.Path, new QueueReaderOptions { Access = QueueAccess.Group(Nobody) });
        var collector = new RecordCollector(reader);
        await using var writers = new WriterProcesses();

        writers.Start(_ipc.Path, 1, threads: 1, mode: "--count 10", runAsUser: Nobody);

        var written = await writers.WaitAllDoneAsync(Timeout);
        await collector.WaitForCountAsync(10, Timeout);
        SequenceLedger.ShouldBeExactlyOnceInOrder(collector.Snapshot(), written);
    }

    private const uint Nobody = 65534;

    // The spool has no event to await; its size is what the writers' progress looks like from outside.
    private static Task GrowsAsync(string path, long bytes) =>
        WaitUntil(() => new FileInfo(path).Length >= bytes, Timeout, $"{path} grows past {bytes} bytes");
}
