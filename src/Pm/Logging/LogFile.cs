using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Pm.Logging;

/// <summary>
/// PmLogFile: the file the PM's log also goes to, appended, created 0640 (less the umask) when missing, reopened at
/// the same path on SIGUSR1 so that logrotate can move it away and have a new one made.
/// </summary>
/// <remarks>
/// Constraints: whoever logs (the supervisor loop, the output readers of apps and web processes) must never wait for
/// the disk, and lines, reopens and the close must happen in the order asked for, so that every line before a reopen
/// lands in the old file and every line after it in the new one. Hence one writer task owns the stream and takes
/// both lines and reopen requests from one channel. Loggers only enqueue; past <see cref="Capacity"/> queued lines,
/// lines are dropped and counted rather than held (a stalled disk must not grow the PM without bound), and the count
/// is written with the next line that gets through. The console gets every line regardless (a separate provider), so
/// while the file cannot be written (a failed reopen, a full disk) the log goes on there, and says so once.
/// </remarks>
public sealed class LogFile : IAsyncDisposable
{
    private const int Capacity = 16 * 1024;

    private readonly Channel<Item> _items = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TimeProvider _time;
    private readonly Task _writer;
    private FileStream? _stream;
    private long _queued;
    private long _dropped;

    /// <summary>Lines not written since the file last worked (no file after a failed reopen, or a failed write).</summary>
    private long _lost;
    private bool _failing;

    private LogFile(string path, FileStream stream, TimeProvider time)
    {
        Path = path;
        _stream = stream;
        _time = time;
        _writer = Task.Run(WriteLoopAsync);
    }

    public string Path { get; }

    /// <summary>
    /// Told once, when writing starts failing (the message names the file and the reason). Set once the log that
    /// should say it exists; what it logs is queued here too, where it is counted as lost.
    /// </summary>
    public Action<string>? Trouble { get; set; }

    /// <summary>Opens (creating it if missing) the file at start; throws IOException or UnauthorizedAccessException naming the path.</summary>
    public static LogFile Open(string path, TimeProvider time) => new(path, OpenStream(path), time);

    /// <summary>Queues one formatted line (ending in a newline). Never blocks.</summary>
    public void Write(string line)
    {
        if (Interlocked.Increment(ref _queued) > Capacity)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _dropped);
            return;
        }

        if (!_items.Writer.TryWrite(new Item(line, null)))
        {
            // Closed: the PM is shutting down and the file is written out already.
            Interlocked.Decrement(ref _queued);
        }
    }

    /// <summary>
    /// Closes the file once every line queued before has been written to it and opens the path again (a new file if
    /// it was moved). Null when done; otherwise why not, and then nothing goes to a file until a reopen succeeds.
    /// </summary>
    public Task<string?> ReopenAsync()
    {
        var done = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_items.Writer.TryWrite(new Item(null, done)))
        {
            done.TrySetResult("the PM is shutting down");
        }

        return done.Task;
    }

    /// <summary>Writes what is queued, then closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        _items.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private static FileStream OpenStream(string path)
    {
        try
        {
            return new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Append,
                Access = FileAccess.Write,
                // Readers (tail -f) and logrotate's copytruncate may open it too; FileShare.None would flock it.
                Share = FileShare.ReadWrite | FileShare.Delete,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead,
                BufferSize = 0,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot open the log file {path} (PmLogFile): {e.Message}", e);
        }
    }

    private async Task WriteLoopAsync()
    {
        var buffer = new MemoryStream();
        var reader = _items.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            buffer.SetLength(0);
            var lines = 0;
            while (buffer.Length < 64 * 1024 && reader.TryPeek(out var item))
            {
                if (item.Reopen is not null)
                {
                    // Everything queued before the reopen goes to the old file first.
                    Flush(buffer, lines);
                    buffer.SetLength(0);
                    lines = 0;
                    reader.TryRead(out _);
                    item.Reopen.TrySetResult(Reopen());
                    continue;
                }

                reader.TryRead(out _);
                Interlocked.Decrement(ref _queued);
                Append(buffer, item.Line!);
                lines++;
            }

            Flush(buffer, lines);
        }

        _stream?.Dispose();
        _stream = null;
    }

    private string? Reopen()
    {
        _stream?.Dispose();
        _stream = null;
        try
        {
            _stream = OpenStream(Path);
            _failing = false;
            return null;
        }
        catch (IOException e)
        {
            _failing = true;
            return e.InnerException?.Message ?? e.Message;
        }
    }

    private void Flush(MemoryStream buffer, int lines)
    {
        if (lines == 0)
        {
            return;
        }

        if (_stream is null)
        {
            _lost += lines;
            return;
        }

        var dropped = Interlocked.Exchange(ref _dropped, 0);
        var note = "";
        if (_lost > 0 || dropped > 0)
        {
            note = LogLine.Format(_time.GetLocalNow(), LogLevel.Warning, "pm",
                $"{_lost + dropped} line(s) are missing from this log file before this one: " +
                (_lost > 0 ? $"{_lost} could not be written (they went to the console)" : "") +
                (_lost > 0 && dropped > 0 ? ", " : "") +
                (dropped > 0 ? $"{dropped} were dropped because the file could not keep up" : ""), null);
        }

        try
        {
            if (note.Length > 0)
            {
                _stream.Write(Encoding.UTF8.GetBytes(note));
            }

            _stream.Write(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
            _lost = 0;
            _failing = false;
        }
        catch (IOException e)
        {
            _lost += lines;
            Interlocked.Add(ref _dropped, dropped);
            if (!_failing)
            {
                _failing = true;
                Trouble?.Invoke($"cannot write the log file {Path}: {e.Message}; the log goes on on the console, and a SIGUSR1 reopens the file");
            }
        }
    }

    private static void Append(MemoryStream buffer, string line)
    {
        var max = Encoding.UTF8.GetMaxByteCount(line.Length);
        if (max <= 1024)
        {
            Span<byte> small = stackalloc byte[1024];
            buffer.Write(small[..Encoding.UTF8.GetBytes(line, small)]);
        }
        else
        {
            buffer.Write(Encoding.UTF8.GetBytes(line));
        }
    }

    /// <summary>A line to write, or a reopen to do (and to answer) in its place in the order.</summary>
    private readonly record struct Item(string? Line, TaskCompletionSource<string?>? Reopen);
}
