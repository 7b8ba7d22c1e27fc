using System.Text;
using System.Threading.Channels;

namespace Pm.FrontEnd.Logging;

/// <summary>
/// The web process's log: one line per event on stdout, which the PM reads and files as <c>web[pid]: line</c>
/// with its own timestamp. Request threads only enqueue; one writer task owns stdout, so a PM that reads slowly
/// never blocks a request. The queue is bounded: past it lines are dropped and their number is reported with the
/// next line that gets through.
/// </summary>
public sealed class WebLog : IAsyncDisposable
{
    private const int Capacity = 4096;

    private readonly Channel<string> _lines;
    private readonly Stream _output;
    private readonly Task _writer;
    private long _dropped;

    public WebLog(Stream output)
    {
        _output = output;
        _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(Capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropWrite,
        });
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>A log on this process's stdout.</summary>
    public static WebLog Console() => new(System.Console.OpenStandardOutput());

    /// <summary>Queues one line (newlines inside it are replaced, so a line stays a line). Never blocks.</summary>
    public void Write(string line)
    {
        if (line.AsSpan().IndexOfAny('\n', '\r') >= 0)
        {
            line = line.Replace('\n', ' ').Replace('\r', ' ');
        }

        if (!_lines.Writer.TryWrite(line))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>Writes what is queued and stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _lines.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var buffer = new MemoryStream();
        var reader = _lines.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            buffer.SetLength(0);
            while (buffer.Length < 64 * 1024 && reader.TryRead(out var line))
            {
                Append(buffer, line);
            }

            var dropped = Interlocked.Exchange(ref _dropped, 0);
            if (dropped > 0)
            {
                Append(buffer, $"log: {dropped} line(s) dropped: the log could not keep up");
            }

            try
            {
                await _output.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)).ConfigureAwait(false);
                await _output.FlushAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
                // Nobody reads our stdout any more (the PM is gone): keep serving, without a log.
            }
        }
    }

    private static void Append(MemoryStream buffer, string line)
    {
        Span<byte> small = stackalloc byte[512];
        var max = Encoding.UTF8.GetMaxByteCount(line.Length) + 1;
        if (max <= small.Length)
        {
            var n = Encoding.UTF8.GetBytes(line, small);
            small[n] = (byte)'\n';
            buffer.Write(small[..(n + 1)]);
        }
        else
        {
            buffer.Write(Encoding.UTF8.GetBytes(line + "\n"));
        }
    }
}
