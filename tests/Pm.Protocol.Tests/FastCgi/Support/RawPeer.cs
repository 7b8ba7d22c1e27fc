using System.Buffers;
using System.Net.Sockets;
using Pm.Protocol.FastCgi;

namespace Pm.Protocol.Tests.FastCgi.Support;

/// <summary>
/// One end of a connection spoken to in raw bytes: a scripted application in front of the client, or a
/// scripted web server in front of the server. Reads whole records with the library's parser.
/// </summary>
internal sealed class RawPeer : IAsyncDisposable
{
    private readonly byte[] _receive = new byte[128 * 1024];
    private byte[] _pending = [];

    public RawPeer(Socket socket)
    {
        Socket = socket;
    }

    public Socket Socket { get; }

    /// <summary>A client connection on one end of a socket pair and this raw peer on the other.</summary>
    public static async Task<(RawPeer App, FastCgiClientConnection Client)> WithClientAsync(FastCgiClientOptions? options = null)
    {
        var (client, server) = await SocketPair.CreateAsync();
        return (new RawPeer(server), FastCgiClientConnection.Create(client, options));
    }

    public async Task SendAsync(byte[] bytes)
    {
        await Socket.SendAsync(bytes.AsMemory(), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Operation);
    }

    public Task SendAsync(Action<IBufferWriter<byte>> write) => SendAsync(Records.Encode(write));

    /// <summary>Reads the next whole record; fails on end of stream or after the upper bound.</summary>
    public async Task<Records.ParsedRecord> ReadRecordAsync()
    {
        while (true)
        {
            var buffer = new ReadOnlySequence<byte>(_pending);
            if (FastCgiRecordReader.TryRead(ref buffer, out var record))
            {
                var parsed = new Records.ParsedRecord(record.Header, record.Content.ToArray());
                _pending = buffer.ToArray();
                return parsed;
            }

            var received = await ReceiveAsync();
            if (received == 0)
            {
                throw new EndOfStreamException($"the connection ended with {_pending.Length} bytes of an incomplete record");
            }
        }
    }

    /// <summary>Reads records until one of <paramref name="type"/> for <paramref name="requestId"/>; returns all read.</summary>
    public async Task<List<Records.ParsedRecord>> ReadUntilAsync(FastCgiRecordType type, ushort requestId)
    {
        var records = new List<Records.ParsedRecord>();
        while (true)
        {
            var record = await ReadRecordAsync();
            records.Add(record);
            if (record.Type == type && record.RequestId == requestId)
            {
                return records;
            }
        }
    }

    /// <summary>
    /// True once the other end has closed (end of stream or reset), reading past whatever it still sent before
    /// closing; fails after the upper bound if it stays open.
    /// </summary>
    public async Task<bool> IsClosedAsync()
    {
        try
        {
            while (await ReceiveAsync() > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    public ValueTask DisposeAsync()
    {
        Socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<int> ReceiveAsync()
    {
        var count = await Socket.ReceiveAsync(_receive.AsMemory(), SocketFlags.None).AsTask().WaitAsync(TestTimeouts.Operation);
        _pending = [.. _pending, .. _receive.AsSpan(0, count)];
        return count;
    }
}
