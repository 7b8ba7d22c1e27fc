using System.Buffers;
using System.Text;
using Microsoft.Extensions.ObjectPool;
using Pm.FrontEnd.Apps;
using Pm.FrontEnd.Cgi;
using Pm.FrontEnd.Logging;

namespace Pm.FrontEnd.Proxy;

/// <summary>
/// The per-request working set of the proxy, pooled so that a request allocates no lists or buffers of its own:
/// the CGI variables, the parsed response head, and the app's STDERR cut into log lines.
/// </summary>
internal sealed class ProxyExchange : ICurrentAttempt
{
    private const int MaxStderrLine = 4096;

    private byte[]? _stderr;
    private int _stderrLength;

    public ProxyExchange()
    {
        StandardError = OnStandardError;
    }

    public List<KeyValuePair<string, string>> Parameters { get; } = new(40);

    public CgiResponseHead Head { get; } = new();

    /// <summary>The handler given to the FastCGI request (allocated once per pooled exchange).</summary>
    public Action<ReadOnlySequence<byte>> StandardError { get; }

    /// <summary>The connection the current attempt runs on: STDERR lines are tagged with its process.</summary>
    public AppConnection? Connection { get; set; }

    /// <summary>The request's slot in the scoreboard; -1: none.</summary>
    public int ScoreSlot { get; set; } = -1;

    /// <summary>When the request first got a connection to the app (the end of its queue wait); 0 until then.</summary>
    public long ConnectedAt { get; set; }

    public WebLog? Log { get; set; }

    /// <summary>The app's status and headers were given to Kestrel: an error can no longer be answered, only cut.</summary>
    public bool HeadWritten { get; set; }

    /// <summary>Writes a last STDERR line that had no newline.</summary>
    public void FlushStandardError()
    {
        if (_stderrLength > 0)
        {
            EmitLine(_stderr.AsSpan(0, _stderrLength));
            _stderrLength = 0;
        }
    }

    public void Reset()
    {
        Parameters.Clear();
        Head.Reset();
        Connection = null;
        Log = null;
        HeadWritten = false;
        _stderrLength = 0;
        if (_stderr is not null)
        {
            ArrayPool<byte>.Shared.Return(_stderr);
            _stderr = null;
        }
    }

    // Runs on the connection's read loop: it must not wait. Looking up the process (once per connection) is a
    // socket-table dump and a /proc walk: milliseconds, paid only by requests that write to STDERR.
    private void OnStandardError(ReadOnlySequence<byte> content)
    {
        foreach (var segment in content)
        {
            var span = segment.Span;
            while (!span.IsEmpty)
            {
                var newline = span.IndexOf((byte)'\n');
                var take = newline < 0 ? span : span[..newline];
                Append(take);
                if (newline < 0)
                {
                    break;
                }

                FlushStandardError();
                span = span[(newline + 1)..];
            }
        }
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            _stderr ??= ArrayPool<byte>.Shared.Rent(MaxStderrLine);
            var room = MaxStderrLine - _stderrLength;
            var n = Math.Min(room, bytes.Length);
            bytes[..n].CopyTo(_stderr.AsSpan(_stderrLength));
            _stderrLength += n;
            bytes = bytes[n..];
            if (_stderrLength == MaxStderrLine)
            {
                // A line longer than the limit is cut into several: the log stays line-based and bounded.
                FlushStandardError();
            }
        }
    }

    private void EmitLine(ReadOnlySpan<byte> line)
    {
        if (line.Length > 0 && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        var who = Connection?.Who ?? "app";
        Log?.Write($"{who}: {Encoding.UTF8.GetString(line)}");
    }

    /// <summary>Pool policy: exchanges are reset when returned.</summary>
    public sealed class Policy : PooledObjectPolicy<ProxyExchange>
    {
        public override ProxyExchange Create() => new();

        public override bool Return(ProxyExchange obj)
        {
            obj.Reset();
            return true;
        }
    }
}
