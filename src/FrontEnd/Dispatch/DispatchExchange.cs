using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.ObjectPool;
using Pm.FrontEnd.Apps;
using Pm.FrontEnd.Logging;
using Pm.FrontEnd.Proxy;
using Pm.Protocol.FastCgi;

namespace Pm.FrontEnd.Dispatch;

/// <summary>
/// The per-request working set of the dispatcher, pooled so that a request allocates no buffers of its own: the
/// connection of the current attempt, whether the web server has been sent any of the answer, and the app's STDERR
/// on its way to the web server's STDERR stream.
/// <para>
/// STDERR arrives on the app connection's read loop, which must not wait, while the request's STDERR stream is
/// written by the relay's task: so it is gathered here under a lock and moved over by the relay, at each piece of
/// STDOUT, at the end, and on its own: a piece of STDERR wakes the relay's pending read of STDOUT
/// (<see cref="PipeReader.CancelPendingRead"/>), so an app that logs and then works on (or hangs) has its STDERR
/// reach the web server at once, not with its next output. At most <see cref="MaxPendingStandardError"/> bytes wait; beyond, the rest is dropped (and
/// logged), since STDERR has no flow control of its own.
/// </para>
/// </summary>
internal sealed class DispatchExchange : ICurrentAttempt
{
    public const int MaxPendingStandardError = 1024 * 1024;

    private readonly Lock _sync = new();
    private byte[]? _stderr;
    private int _stderrLength;
    private long _stderrDropped;

    public DispatchExchange()
    {
        StandardError = OnStandardError;
    }

    /// <summary>The handler given to the app's request (allocated once per pooled exchange).</summary>
    public Action<ReadOnlySequence<byte>> StandardError { get; }

    public AppConnection? Connection { get; set; }

    /// <summary>The app's STDOUT the relay is reading, woken when STDERR arrives; null outside a relay.</summary>
    public PipeReader? Output { get; set; }

    /// <summary>The request's slot in the scoreboard; -1: none.</summary>
    public int ScoreSlot { get; set; } = -1;

    /// <summary>When the request first got a connection to the app (the end of its queue wait); 0 until then.</summary>
    public long ConnectedAt { get; set; }

    /// <summary>Some of the app's STDOUT went to the web server: an error can no longer be answered, only the connection cut.</summary>
    public bool AnswerStarted { get; set; }

    /// <summary>Moves the STDERR gathered so far into the request's STDERR stream; true when there was some (flush it).</summary>
    public bool MoveStandardError(FastCgiServerRequest request, WebLog log)
    {
        long dropped;
        lock (_sync)
        {
            if (_stderrLength == 0)
            {
                return false;
            }

            request.Stderr.Write(_stderr.AsSpan(0, _stderrLength));
            _stderrLength = 0;
            dropped = _stderrDropped;
            _stderrDropped = 0;
        }

        if (dropped > 0)
        {
            log.Write($"{Connection?.Who ?? "app"}: {dropped} bytes of STDERR dropped: more than {MaxPendingStandardError} waited for the web server");
        }

        return true;
    }

    public void Reset()
    {
        Connection = null;
        Output = null;
        AnswerStarted = false;
        lock (_sync)
        {
            _stderrLength = 0;
            _stderrDropped = 0;
            if (_stderr is not null)
            {
                ArrayPool<byte>.Shared.Return(_stderr);
                _stderr = null;
            }
        }
    }

    private void OnStandardError(ReadOnlySequence<byte> content)
    {
        lock (_sync)
        {
            var length = (int)Math.Min(content.Length, MaxPendingStandardError - _stderrLength);
            _stderrDropped += content.Length - length;
            if (length == 0)
            {
                return;
            }

            if (_stderr is null || _stderr.Length - _stderrLength < length)
            {
                var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_stderrLength + length, 4096));
                _stderr?.AsSpan(0, _stderrLength).CopyTo(grown);
                if (_stderr is not null)
                {
                    ArrayPool<byte>.Shared.Return(_stderr);
                }

                _stderr = grown;
            }

            content.Slice(0, length).CopyTo(_stderr.AsSpan(_stderrLength));
            _stderrLength += length;
        }

        // The relay's read returns (IsCanceled) and moves it over; a read not yet begun returns at once.
        Output?.CancelPendingRead();
    }

    /// <summary>Pool policy: exchanges are reset when returned.</summary>
    public sealed class Policy : PooledObjectPolicy<DispatchExchange>
    {
        public override DispatchExchange Create() => new();

        public override bool Return(DispatchExchange obj)
        {
            obj.Reset();
            return true;
        }
    }
}
