using System.Buffers;
using CsCheck;
using Pm.Protocol.FastCgi;
using Pm.Protocol.Tests.FastCgi.Support;

namespace Pm.Protocol.Tests.FastCgi;

/// <summary>
/// Property tests of the parsers: whatever the bytes, the only outcomes are records, "incomplete", or a
/// <see cref="FastCgiProtocolException"/>; never another exception, never a loop that does not end.
/// </summary>
public class ParserFuzzTests
{
    [Fact]
    public void AnyBytes_GiveRecordsIncompleteOrTheTypedError()
    {
        FuzzInput.AnyStream.Sample(bytes => ParseEverything(new ReadOnlySequence<byte>(bytes)), iter: 20_000);
    }

    [Fact]
    public void AnyBytesInAnySegmentation_GiveTheSameOutcome()
    {
        Gen.Select(FuzzInput.AnyStream, Gen.Int.Array[0, 8]).Sample(
            (bytes, cuts) =>
            {
                var whole = ParseEverything(new ReadOnlySequence<byte>(bytes));
                var pieces = ParseEverything(Bytes.Segmented(bytes, cuts.Select(c => bytes.Length == 0 ? 0 : (int)((uint)c % (uint)bytes.Length)).ToArray()));
                return whole == pieces;
            },
            iter: 5_000);
    }

    [Fact]
    public void BytesArrivingInChunks_AreParsedIncrementallyToTheSameRecords()
    {
        Gen.Select(FuzzInput.Record.Array[1, 8].Select(FuzzInput.Flatten), Gen.Int[1, 70]).Sample(
            (bytes, chunk) =>
            {
                var expected = ParseRecords(new ReadOnlySequence<byte>(bytes));
                var received = new List<byte>();
                var outcome = new List<string>();
                var offset = 0;
                try
                {
                    for (var start = 0; start < bytes.Length; start += chunk)
                    {
                        received.AddRange(bytes.Skip(start).Take(chunk));
                        var buffer = new ReadOnlySequence<byte>(received.ToArray()).Slice(offset);
                        while (FastCgiRecordReader.TryRead(ref buffer, out var record))
                        {
                            outcome.Add(Describe(record));
                        }

                        offset = received.Count - (int)buffer.Length;
                    }

                    outcome.Add($"rest {received.Count - offset}");
                }
                catch (FastCgiProtocolException e)
                {
                    outcome.Add(e.Kind.ToString());
                }

                return string.Join(",", outcome) == expected;
            },
            iter: 5_000);
    }

    [Fact]
    public void WellFormedRecords_RoundTripThroughWriterAndReader()
    {
        Gen.Select(Gen.Byte[4, 8], Gen.UShort[1, ushort.MaxValue], Gen.Byte.Array[0, 70_000]).Sample(
            (type, id, content) =>
            {
                var bytes = Records.Encode(w => FastCgiRecordWriter.WriteStream(w, (FastCgiRecordType)type, id, content));
                var records = Records.ReadAll(bytes);
                return records.All(r => (byte)r.Type == type && r.RequestId == id) && records.SelectMany(r => r.Content).SequenceEqual(content);
            },
            iter: 300);
    }

    /// <summary>
    /// Reads every record and every body in it the way a connection would, and describes what happened.
    /// Any exception but the typed one escapes and fails the property.
    /// </summary>
    private static string ParseEverything(ReadOnlySequence<byte> buffer)
    {
        var outcome = new List<string>();
        try
        {
            var before = buffer.Length;
            while (FastCgiRecordReader.TryRead(ref buffer, out var record))
            {
                buffer.Length.Should().BeLessThan(before, "every record consumes bytes");
                before = buffer.Length;
                outcome.Add(Describe(record));
                switch (record.Type)
                {
                    case FastCgiRecordType.BeginRequest:
                        _ = FastCgiBeginRequestBody.Read(record.Content);
                        break;
                    case FastCgiRecordType.EndRequest:
                        _ = FastCgiEndRequestBody.Read(record.Content);
                        break;
                    case FastCgiRecordType.UnknownType:
                        _ = FastCgiUnknownTypeBody.Read(record.Content);
                        break;
                    case FastCgiRecordType.Params or FastCgiRecordType.GetValues or FastCgiRecordType.GetValuesResult:
                        try
                        {
                            outcome.Add($"pairs {FastCgiParams.Parse(record.Content, FastCgiLimits.Default with { MaxValueLength = 100 }).Count}");
                        }
                        catch (FastCgiProtocolException e)
                        {
                            outcome.Add(e.Kind.ToString());
                        }

                        break;
                }
            }

            outcome.Add($"rest {buffer.Length}");
        }
        catch (FastCgiProtocolException e)
        {
            outcome.Add(e.Kind.ToString());
        }

        return string.Join(",", outcome);
    }

    private static string ParseRecords(ReadOnlySequence<byte> buffer)
    {
        var outcome = new List<string>();
        try
        {
            while (FastCgiRecordReader.TryRead(ref buffer, out var record))
            {
                outcome.Add(Describe(record));
            }

            outcome.Add($"rest {buffer.Length}");
        }
        catch (FastCgiProtocolException e)
        {
            outcome.Add(e.Kind.ToString());
        }

        return string.Join(",", outcome);
    }

    private static string Describe(in FastCgiRecord record) => $"{(byte)record.Type}/{record.RequestId}/{Convert.ToHexString(record.Content.ToArray())}";
}
