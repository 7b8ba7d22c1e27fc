using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.ObjectPool;
using Pm.Config;
using Pm.FrontEnd.Apps;
using Pm.FrontEnd.Cgi;
using Pm.FrontEnd.Logging;
using Pm.Shared;
using Pm.Protocol.FastCgi;

namespace Pm.FrontEnd.Proxy;

/// <summary>
/// Forwards one HTTP request to a FastCGI app and streams the answer back.
/// <para>
/// Nothing is buffered whole: the request body is pumped into FCGI_STDIN as Kestrel reads it, and the response
/// body goes out as STDOUT arrives, with backpressure both ways (a slow client slows the app). Without -flush the
/// output is flushed to the client every <see cref="FlushThreshold"/> bytes and at the end, which is how
/// mod_fastcgi frees an app early; with -flush, after every piece the app sends. A connection of its own is closed
/// once END_REQUEST is in, before the last of the answer goes to the client, so the instance can take its next
/// connection while the client is still being sent this one.
/// </para>
/// <para>
/// Failures, before anything went to the client: the app cannot be reached → 503 with Retry-After; the app sent
/// nothing for -idle-timeout → 504 (the FastCGI connection is closed, which aborts the app's request); the app broke
/// the protocol or sent a malformed header block → 502; END_REQUEST OVERLOADED → 503. After the answer started,
/// any failure cuts the client's connection, so a truncated answer never looks complete. Each is logged with the
/// app and pid. A client that goes away aborts the app's request (ABORT_REQUEST, or the connection is closed).
/// </para>
/// <para>
/// Retries: a GET or HEAD without a body whose connection closed before the first byte of the answer (the instance
/// died) is sent once more on a new connection, which the shared listening socket gives to another instance or
/// the replacement. A kept connection found closed when the request was sent (nothing was sent) is replaced, for any
/// method.
/// </para>
/// <para>
/// Limits (<see cref="RequestLimits"/>): past -request-timeout, counted from the request's arrival, the request gets
/// a 504 (or its client connection is cut) and FCGI_ABORT_REQUEST; on a connection of its own the 'X' record goes at
/// once and the connection is closed; on a multiplexing app's shared connection the connection is kept for the other
/// requests and the 'X' record goes only if the app has not ended the aborted request within
/// <see cref="RequestLimits.AbortGrace"/>. Past -slow-log, one 'L' record and a log line; the request runs on.
/// </para>
/// </summary>
public sealed class FastCgiProxy : IDisposable
{
    /// <summary>Without -flush, output is passed to Kestrel in pieces of at least this much (Kestrel's own buffer size).</summary>
    public const int FlushThreshold = 64 * 1024;

    private readonly WebLog _log;
    private readonly ObjectPool<ProxyExchange> _exchanges = new DefaultObjectPool<ProxyExchange>(new ProxyExchange.Policy(), 1024);
    private readonly string? _serverName;
    private readonly long _bodyBuffer;
    private readonly long _bodyMax;
    private readonly BodySpool _spool = new();

    /// <param name="frontEnd">PmServerName and the request body limits; null: none and the defaults.</param>
    public FastCgiProxy(WebLog log, FrontEndConfig? frontEnd = null)
    {
        _log = log;
        _serverName = frontEnd?.ServerName;
        _bodyBuffer = frontEnd?.BodyBuffer ?? FrontEndConfig.DefaultBodyBuffer;
        _bodyMax = frontEnd?.BodyMax ?? FrontEndConfig.DefaultBodyMax;
    }

    /// <summary>Where the requests are counted for the status report (this web process's scoreboard); null: not counted.</summary>
    internal Scoreboard.WebScoreboard? Scoreboard { get; init; }

    /// <summary>The private directory of request bodies too big for memory, once one needed it.</summary>
    internal string? SpoolDirectory => _spool.Directory;

    /// <summary>Forwards <paramref name="context"/>'s request to <paramref name="app"/> as <paramref name="script"/>.</summary>
    public Task ForwardAsync(HttpContext context, AppBackend app, in ScriptTarget script) => ForwardAsync(context, app, script, null);

    internal async Task ForwardAsync(HttpContext context, AppBackend app, ScriptTarget script, IRequestLifecycle? lifecycle)
    {
        var exchange = _exchanges.Get();
        exchange.Log = _log;
        exchange.ConnectedAt = 0;
        RequestLimits? limits = null;
        BufferedBody? buffered = null;
        var arrival = app.Time.GetTimestamp();
        var scoreApp = Scoreboard is { } board ? app.ScoreboardIndex(board) : -1;
        var slot = scoreApp >= 0 ? Scoreboard!.Begin(scoreApp, context.Request.Method, Target(context), app.Time.GetUtcNow()) : -1;
        exchange.ScoreSlot = slot;
        try
        {
            var request = context.Request;
            var body = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != false ? request.BodyReader : null;
            if (body is not null)
            {
                if (request.ContentLength is { } declared)
                {
                    if (_bodyMax > 0 && declared > _bodyMax)
                    {
                        await TooLargeAsync(context, app, $"its Content-Length {declared} is larger than PmRequestBodyMax ({_bodyMax} bytes)").ConfigureAwait(false);
                        return;
                    }
                }
                else
                {
                    // No length (chunked): read it whole first, so the app gets CONTENT_LENGTH (see BufferedBody).
                    buffered = await BufferAsync(context, app, body).ConfigureAwait(false);
                    if (buffered is null)
                    {
                        return;
                    }

                    body = buffered.OpenReader();
                }
            }

            CgiEnvironment.Build(exchange.Parameters, context, script, app.Settings, _serverName, buffered?.Length);
            var replayable = body is null;
            var idempotent = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);
            var retries = default(AttemptRetries);
            var settings = app.Settings;
            var startLimit = lifecycle?.StartLimit ?? settings.AppConnTimeout;
            if (settings.RequestTimeout is not null || settings.SlowLog is not null)
            {
                limits = new RequestLimits(app, exchange, lifecycle, _log, Describe(context), context.RequestAborted);
            }

            while (true)
            {
                exchange.Head.Reset();
                exchange.HeadWritten = false;
                var attempt = await AttemptAsync(context, app, exchange, body, lifecycle, limits, startLimit, startLimit - app.Time.GetElapsedTime(arrival)).ConfigureAwait(false);
                if (attempt.Kind == AttemptOutcome.Done)
                {
                    return;
                }

                switch (retries.Next(attempt.Kind, lifecycle, replayable, idempotent))
                {
                    case RetryStep.Again:
                        continue;

                    case RetryStep.OnceMore:
                        _log.Write($"{attempt.Connection?.Who ?? app.Name}: closed the connection before answering {Describe(context)}; sending it once more on a new connection");
                        continue;

                    default:
                        _log.Write($"{attempt.Connection?.Who ?? app.Name}: 502 for {Describe(context)}: the app closed the connection without answering");
                        await ErrorResponses.WriteAsync(context, 502, "the application closed the connection without answering").ConfigureAwait(false);
                        return;
                }
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left: its request was aborted at the app; nobody is left to answer.
        }
        finally
        {
            if (scoreApp >= 0)
            {
                Scoreboard!.End(scoreApp, slot, exchange.ConnectedAt == 0 ? null : app.Time.GetElapsedTime(arrival, exchange.ConnectedAt),
                    exchange.ConnectedAt == 0 ? null : app.Time.GetElapsedTime(exchange.ConnectedAt));
            }

            limits?.Dispose();
            if (buffered is not null)
            {
                await buffered.DisposeAsync().ConfigureAwait(false);
            }

            _exchanges.Return(exchange);
        }
    }

    /// <summary>The whole body without a length, or null once an error answer went out (or the client left).</summary>
    private async Task<BufferedBody?> BufferAsync(HttpContext context, AppBackend app, PipeReader body)
    {
        try
        {
            return await BufferedBody.ReadAsync(body, _bodyBuffer, _bodyMax, _spool, context.RequestAborted).ConfigureAwait(false);
        }
        catch (RequestBodyTooLargeException e)
        {
            await TooLargeAsync(context, app, $"its body (chunked) went past PmRequestBodyMax ({e.Max} bytes)").ConfigureAwait(false);
        }
        catch (Exception e) when (context.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            // The client left while sending its body: nobody is left to answer, nothing went to the app.
        }
        catch (BadHttpRequestException e)
        {
            _log.Write($"app {app.Name}: {e.StatusCode} for {Describe(context)}: the request body failed: {e.Message}");
            await ErrorResponses.WriteAsync(context, e.StatusCode, "the request body could not be read").ConfigureAwait(false);
        }
        catch (IOException e)
        {
            _log.Write($"app {app.Name}: 500 for {Describe(context)}: its body (chunked) could not be held in a temporary file under {_spool.Directory ?? Path.GetTempPath()}: {e.Message}");
            await ErrorResponses.WriteAsync(context, 500, "the request body could not be held").ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>413, and the connection closed after it: Kestrel would otherwise read the rest of the body to reuse it.</summary>
    private Task TooLargeAsync(HttpContext context, AppBackend app, string why)
    {
        _log.Write($"app {app.Name}: 413 for {Describe(context)}: {why}");
        return ErrorResponses.WriteAsync(context, 413, "the request body is too large", close: true);
    }

    public void Dispose() => _spool.Dispose();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(AttemptOutcome Kind, AppConnection? Connection)> AttemptAsync(
        HttpContext context, AppBackend app, ProxyExchange exchange, PipeReader? body, IRequestLifecycle? lifecycle, RequestLimits? limits,
        TimeSpan startLimit, TimeSpan startLeft)
    {
        var clientAborted = context.RequestAborted;
        var aborted = limits?.Token ?? clientAborted;
        var rented = await AppRental.RentAsync(app, lifecycle, clientAborted).ConfigureAwait(false);
        if (rented.Connection is not { } connection)
        {
            _log.Write($"app {app.Name}: 503 for {Describe(context)}: {rented.Problem}");
            await ErrorResponses.WriteAsync(context, 503, rented.Message!).ConfigureAwait(false);
            return (AttemptOutcome.Done, null);
        }

        exchange.Connection = connection;
        if (exchange.ConnectedAt == 0)
        {
            exchange.ConnectedAt = app.Time.GetTimestamp();
        }

        Scoreboard?.Connected(exchange.ScoreSlot, (int)connection.Socket.Handle);
        FastCgiClientRequest? request = null;
        var deadline = AcceptDeadline.Arm(connection, startLimit, startLeft, aborted);
        try
        {
            var token = deadline?.Token ?? aborted;
            try
            {
                request = await connection.Client.BeginRequestAsync(new FastCgiOutgoingRequest
                {
                    Parameters = exchange.Parameters,
                    Body = body,
                    StandardError = exchange.StandardError,
                }, token).ConfigureAwait(false);
            }
            catch (FastCgiConnectionClosedException)
            {
                return (AttemptOutcome.Stale, connection);
            }

            return (await RespondAsync(context, app, exchange, request, lifecycle, token).ConfigureAwait(false), connection);
        }
        catch (Exception e) when (deadline is { Expired: true } && !aborted.IsCancellationRequested && !exchange.HeadWritten
            && e is OperationCanceledException or IOException or FastCgiException or InvalidOperationException)
        {
            // No instance took the connection within the start limit: disposing the request below closes it, which
            // takes it out of the accept queue before any instance could start on it.
            _log.Write($"app {app.Name}: 503 for {Describe(context)}: {AcceptDeadline.Why(app, startLimit, lifecycle is not null)}");
            await ErrorResponses.WriteAsync(context, 503, AcceptDeadline.Message).ConfigureAwait(false);
            return (AttemptOutcome.Done, null);
        }
        catch (Exception e) when (limits is not null && limits.TimedOut(clientAborted)
            && e is OperationCanceledException or IOException or FastCgiException or InvalidOperationException)
        {
            // -request-timeout: the token aborted the FastCGI request (FCGI_ABORT_REQUEST); a connection of its own
            // is closed when given back, a multiplexing app's shared one is kept for its other requests.
            limits.ReportTimedOut(connection, request?.Released, exchange.HeadWritten);
            await FailAsync(context, exchange, 504, "the application did not answer in time").ConfigureAwait(false);
            return (AttemptOutcome.Done, null);
        }
        catch (FastCgiConnectionClosedException e) when (!e.ResponseStarted && !exchange.HeadWritten)
        {
            return (AttemptOutcome.ClosedBeforeAnswer, connection);
        }
        catch (FastCgiIdleTimeoutException e)
        {
            var cut = exchange.HeadWritten;
            _log.Write($"{connection.Who}: {(cut ? "answer cut" : "504")} for {Describe(context)}: {e.Message} (-idle-timeout); its request was aborted");
            await FailAsync(context, exchange, 504, "the application did not answer in time").ConfigureAwait(false);
            return (AttemptOutcome.Done, null);
        }
        catch (CgiResponseException e)
        {
            _log.Write($"{connection.Who}: 502 for {Describe(context)}: malformed response: {e.Message}");
            await ErrorResponses.WriteAsync(context, 502, "the application sent a malformed response").ConfigureAwait(false);
            return (AttemptOutcome.Done, null);
        }
        catch (FastCgiException e) when (!aborted.IsCancellationRequested)
        {
            var cut = exchange.HeadWritten;
            _log.Write($"{connection.Who}: {(cut ? "answer cut" : "502")} for {Describe(context)}: {e.Message}");
            await FailAsync(context, exchange, 502, "the application failed while answering").ConfigureAwait(false);
            return (AttemptOutcome.Done, null);
        }
        catch (InvalidOperationException e) when (exchange.HeadWritten && !aborted.IsCancellationRequested)
        {
            // Kestrel refused what the app sent after its head (e.g. more or fewer bytes than its Content-Length).
            _log.Write($"{connection.Who}: answer cut for {Describe(context)}: {e.Message}");
            context.Abort();
            return (AttemptOutcome.Done, null);
        }
        catch (IOException e) when (e is not FastCgiException && !aborted.IsCancellationRequested)
        {
            // The client's request body failed while it was being sent to the app (a malformed chunked body, a read
            // timeout): the app's request was aborted with it.
            _log.Write($"{connection.Who}: {(exchange.HeadWritten ? "answer cut" : "400")} for {Describe(context)}: the request body failed: {e.Message}");
            await FailAsync(context, exchange, 400, "the request body could not be read").ConfigureAwait(false);
            return (AttemptOutcome.Done, null);
        }
        catch (Exception e) when (aborted.IsCancellationRequested && e is OperationCanceledException or IOException or FastCgiException)
        {
            // The client left: disposing the request below aborts it at the app.
            return (AttemptOutcome.Done, null);
        }
        finally
        {
            deadline?.Dispose();
            exchange.FlushStandardError();
            if (request is not null)
            {
                await request.DisposeAsync().ConfigureAwait(false);
            }

            exchange.Connection = null;
            app.Pool.Return(connection, request);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<AttemptOutcome> RespondAsync(HttpContext context, AppBackend app, ProxyExchange exchange, FastCgiClientRequest request, IRequestLifecycle? lifecycle, CancellationToken aborted)
    {
        var output = request.Output;
        var head = exchange.Head;
        ReadResult result;
        ReadOnlySequence<byte> buffer;
        var firstByte = lifecycle is null;
        while (true)
        {
            result = await output.ReadAsync(aborted).ConfigureAwait(false);
            buffer = result.Buffer;
            if (!firstByte && !buffer.IsEmpty)
            {
                firstByte = true;
                lifecycle!.OnFirstByte();
            }

            bool complete;
            try
            {
                complete = CgiResponseParser.TryParse(ref buffer, head);
            }
            catch
            {
                output.AdvanceTo(buffer.Start, buffer.End);
                throw;
            }

            if (complete)
            {
                break;
            }

            if (result.IsCompleted)
            {
                output.AdvanceTo(buffer.End);
                await AnswerWithoutHeadAsync(context, app, exchange, request).ConfigureAwait(false);
                return AttemptOutcome.Done;
            }

            output.AdvanceTo(buffer.Start, buffer.End);
        }

        var method = context.Request.Method;
        var status = head.EffectiveStatus;
        var noBody = HttpMethods.IsHead(method) || status is 204 or 304;
        exchange.HeadWritten = true;
        WriteHead(context, head, status, result.IsCompleted && !noBody ? buffer.Length : null);

        var writer = context.Response.BodyWriter;
        var flushEach = app.Settings.Flush;
        long unflushed = 0;
        while (true)
        {
            if (!noBody && !buffer.IsEmpty)
            {
                foreach (var segment in buffer)
                {
                    writer.Write(segment.Span);
                }

                unflushed += buffer.Length;
            }

            output.AdvanceTo(buffer.End);
            if (result.IsCompleted)
            {
                break;
            }

            if (unflushed > 0 && (flushEach || unflushed >= FlushThreshold))
            {
                unflushed = 0;
                var flushed = await writer.FlushAsync(aborted).ConfigureAwait(false);
                if (flushed.IsCanceled || flushed.IsCompleted)
                {
                    return AttemptOutcome.Done;
                }
            }

            result = await output.ReadAsync(aborted).ConfigureAwait(false);
            buffer = result.Buffer;
        }

        var end = await request.Completion.ConfigureAwait(false);
        var connection = exchange.Connection!;
        if (!end.IsComplete)
        {
            _log.Write($"{connection.Who}: ended {Describe(context)} with {end.ProtocolStatus} after answering it");
        }

        if (!connection.Shared)
        {
            // The whole answer is here: the instance goes free before the client is sent it. libfcgi and php-cgi wait
            // for the web server's close after END_REQUEST before they accept their next connection, so the send to
            // the client (and a slow client's whole download) would otherwise hold the instance.
            connection.Client.Close();
        }

        // Flushed explicitly: with a Content-Length and an earlier flush, Kestrel's CompleteAsync does not send bytes
        // written since (they would wait for the connection to close). With nothing flushed yet, this is the one send.
        if (unflushed > 0)
        {
            await writer.FlushAsync(aborted).ConfigureAwait(false);
        }

        await context.Response.CompleteAsync().ConfigureAwait(false);
        return AttemptOutcome.Done;
    }

    /// <summary>An error answer, or, once the app's head was given to Kestrel, a cut connection (never a mixed answer).</summary>
    private static Task FailAsync(HttpContext context, ProxyExchange exchange, int status, string message)
    {
        if (exchange.HeadWritten)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        return ErrorResponses.WriteAsync(context, status, message);
    }

    /// <summary>The app's output ended before a complete header block: a refusal in END_REQUEST, or a broken answer.</summary>
    private async Task AnswerWithoutHeadAsync(HttpContext context, AppBackend app, ProxyExchange exchange, FastCgiClientRequest request)
    {
        var end = await request.Completion.ConfigureAwait(false);
        var who = exchange.Connection!.Who;
        if (end.ProtocolStatus == FastCgiProtocolStatus.Overloaded)
        {
            _log.Write($"{who}: 503 for {Describe(context)}: the app is overloaded (END_REQUEST FCGI_OVERLOADED)");
            await ErrorResponses.WriteAsync(context, 503, "the application is overloaded; try again in a few seconds").ConfigureAwait(false);
            return;
        }

        var why = !end.IsComplete ? $"it refused the request ({end.ProtocolStatus})"
            : exchange.Head.BytesRead == 0 && exchange.Head.Headers.Count == 0 ? $"it ended the request without any output (app status {end.AppStatus})"
            : "its output ended inside the response header block";
        _log.Write($"{who}: 502 for {Describe(context)}: {why}");
        await ErrorResponses.WriteAsync(context, 502, "the application sent no valid response").ConfigureAwait(false);
    }

    private static void WriteHead(HttpContext context, CgiResponseHead head, int status, long? completeBodyLength)
    {
        var response = context.Response;
        response.StatusCode = status;
        if (head.Reason is { } reason)
        {
            context.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = reason;
        }

        var headers = response.Headers;
        if (head.ContentType is { } contentType)
        {
            headers.ContentType = contentType;
        }

        if (head.Location is { } location)
        {
            headers.Location = location;
        }

        var others = head.Headers;
        for (var i = 0; i < others.Count; i++)
        {
            headers.Append(others[i].Key, others[i].Value);
        }

        if (status is 204 or 304)
        {
            return;
        }

        // The app's length if it gave one; else, when the whole answer is already here, its length (no chunking).
        if (head.ContentLength is { } length)
        {
            response.ContentLength = length;
        }
        else if (completeBodyLength is { } known)
        {
            response.ContentLength = known;
        }
    }

    /// <summary>The request's target as the client sent it (path and query).</summary>
    private static string Target(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        return string.IsNullOrEmpty(target) ? context.Request.Path.Value + context.Request.QueryString.Value : target;
    }

    /// <summary>"GET /path?query" for a log line, cut at 200 characters.</summary>
    internal static string Describe(HttpContext context)
    {
        var target = Target(context);
        if (target.Length > 200)
        {
            target = target[..200] + "...";
        }

        return $"{context.Request.Method} {target}";
    }
}
