using System.Buffers;
using Microsoft.Extensions.Time.Testing;
using Pm.FrontEnd.Dynamic;
using Pm.Protocol.Queue;

namespace Pm.Tests.FrontEnd;

/// <summary>The C records of a web process, sent in batches: none lost, in order, within MaxDelay while requests come and IdleDelay after, never over PIPE_BUF.</summary>
public class CompletionBatchTests
{
    // An odd start, so no code may take the clock's zero or a round second for granted.
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddYears(56).AddMilliseconds(13.7));
    private readonly List<(byte[] Bytes, int Count)> _sent = [];

    [Fact]
    public void Add_AfterAQuietSpell_TheRecordGoesAtOnceAlone()
    {
        using var batch = new CompletionBatch(_time, Record);

        batch.Add(Completed(1));
        _sent.Select(ServiceTimes).Should().BeEquivalentTo(new[] { new long[] { 1 } }, "nothing was sent before: no batch to wait for");
        _time.Advance(CompletionBatch.MaxDelay);
        batch.Add(Completed(2));

        _sent.Select(ServiceTimes).Should().BeEquivalentTo(new[] { new long[] { 1 }, [2] }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Add_WhileRequestsKeepComing_TheBatchLeavesWithTheFirstRecordMaxDelayAfterItsStart()
    {
        using var batch = new CompletionBatch(_time, Record);
        batch.Add(Completed(99));                 // after a quiet spell: alone, at once
        _sent.Clear();

        for (var i = 0; i < 5; i++)
        {
            batch.Add(Completed(i));
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        _sent.Should().BeEmpty("the batch began less than MaxDelay ago");
        batch.Add(Completed(5));
        _sent.Should().ContainSingle().Which.Count.Should().Be(6);
        ServiceTimes(_sent[0]).Should().Equal(0, 1, 2, 3, 4, 5);
    }

    [Fact]
    public void Add_ThenNoMoreRequests_WhatIsLeftLeavesIdleDelayAfterTheBatchBegan()
    {
        using var batch = new CompletionBatch(_time, Record);
        batch.Add(Completed(0));                  // alone, at once
        _sent.Clear();
        batch.Add(Completed(1));
        _time.Advance(TimeSpan.FromMilliseconds(2));
        batch.Add(Completed(2));

        _time.Advance(CompletionBatch.IdleDelay - TimeSpan.FromMilliseconds(3));
        _sent.Should().BeEmpty();
        _time.Advance(TimeSpan.FromMilliseconds(1));

        _sent.Select(ServiceTimes).Should().BeEquivalentTo(new[] { new long[] { 1, 2 } }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Add_AfterTheTimerSentABatch_ArmsItAgainForTheNext()
    {
        using var batch = new CompletionBatch(_time, Record);
        batch.Add(Completed(0));                  // alone, at once
        batch.Add(Completed(1));                  // within MaxDelay of that: batched, the timer sends it
        _time.Advance(CompletionBatch.IdleDelay);

        batch.Add(Completed(2));                  // right after the timer's send: batched again
        _time.Advance(CompletionBatch.IdleDelay);

        _sent.Select(ServiceTimes).Should().BeEquivalentTo(new[] { new long[] { 0 }, [1], [2] }, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Add_MoreThanPipeBufHolds_SendsTheFullBatchFirstAndKeepsEveryRecordInOrder()
    {
        using var batch = new CompletionBatch(_time, Record);
        const int records = 200;

        for (var i = 0; i < records; i++)
        {
            batch.Add(Completed(i));
        }

        batch.Flush();
        _sent.Should().HaveCountGreaterThan(1);
        _sent.Should().AllSatisfy(s => s.Bytes.Length.Should().BeLessThanOrEqualTo(QueueRecordCodec.MaxRecordBytes));
        _sent.SelectMany(ServiceTimes).Should().Equal(Enumerable.Range(0, records).Select(i => (long)i));
        _sent.Sum(s => s.Count).Should().Be(records);
    }

    [Fact]
    public void Dispose_SendsWhatIsLeftAtOnce_AndLaterRecordsGoWithoutWaiting()
    {
        var batch = new CompletionBatch(_time, Record);
        batch.Add(Completed(6));                  // alone, at once
        batch.Add(Completed(7));                  // batched
        _sent.Should().ContainSingle();

        batch.Dispose();
        _sent.Should().HaveCount(2);
        batch.Add(Completed(8));

        _sent.Select(ServiceTimes).Should().BeEquivalentTo(new[] { new long[] { 6 }, [7], [8] }, o => o.WithStrictOrdering());
        _time.Advance(CompletionBatch.IdleDelay);
        _sent.Should().HaveCount(3);
    }

    [Fact]
    public void Add_ADefaultRecord_IsRefusedAndNothingIsSent()
    {
        using var batch = new CompletionBatch(_time, Record);

        var act = () => batch.Add(default);

        act.Should().Throw<ArgumentException>();
        _time.Advance(CompletionBatch.IdleDelay);
        _sent.Should().BeEmpty();
    }

    private void Record(ReadOnlySpan<byte> records, int count) => _sent.Add((records.ToArray(), count));

    private QueueRecord Completed(int serviceMicroseconds) =>
        QueueRecord.Complete("/srv/fcgi-bin/hello.fcgi", 1000, 1000, _time.GetUtcNow(), TimeSpan.FromMilliseconds(1), TimeSpan.FromTicks(serviceMicroseconds * TimeSpan.TicksPerMicrosecond));

    /// <summary>The service times (µs) of a sent batch's records, decoded as the PM decodes them; the count must match.</summary>
    private static long[] ServiceTimes((byte[] Bytes, int Count) sent)
    {
        var decoder = new QueueRecordDecoder(QueueSource.Fifo);
        var sequence = new ReadOnlySequence<byte>(sent.Bytes);
        var times = new List<long>();
        while (decoder.TryDecode(ref sequence, isFinal: true, out var record))
        {
            record.Kind.Should().Be(QueueRecordKind.Complete);
            times.Add(record.ServiceTimeMicroseconds);
        }

        decoder.BadRecords.Should().Be(0);
        sequence.IsEmpty.Should().BeTrue();
        times.Should().HaveCount(sent.Count);
        return [.. times];
    }
}
