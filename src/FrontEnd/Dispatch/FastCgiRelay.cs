using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.ObjectPool;
using Pm.FrontEnd.Apps;
using Pm.FrontEnd.Logging;
using Pm.FrontEnd.Proxy;
using Pm.Protocol.FastCgi;

namespace Pm.FrontEnd.Dispatch;

/// <summary>
/// Passes one FastCGI request from the web server in front on to an app, and the app's answer back.
/// <para>
/// What passes through as it is: the PARAMS stream, byte for byte (<see cref="FastCgiParams.Encoded"/>: no value is
/// decoded or re-encoded); STDIN, pumped to the app as the web server sends it; STDOUT and STDERR, written into the web
/// server's streams as each piece arrives, never parsed as a CGI response nor held whole (a piece and the app's
/// END_REQUEST that arrive together leave in one write); the app's status in END_REQUEST. Backpressure holds both
/// ways: the web server's STDIN is read only as fast as the app takes it, and the app's STDOUT only as fast as the
/// web server's socket takes it. An abort by the web server (FCGI_ABORT_REQUEST, or its connection closed) aborts the
/// app's request with FCGI_ABORT_REQUEST.
/// </para>
/// <para>
/// Connecting, starting a dynamic app on demand and the retries are the HTTP proxy's (<see cref="AppRental"/>, the
/// same <see cref="IRequestLifecycle"/>, <see cref="RequestLimits"/>): the app's connection pool is shared with HTTP
/// requests. Failures before anything was passed on get the dispatcher's own answer (<see cref="DispatchAnswers"/>:
/// 503 with Retry-After when the app cannot be reached or does not start in time, 502 when it closed without
/// answering or broke the protocol, 504 past -idle-timeout or -request-timeout); after, the web server's connection
/// is closed without END_REQUEST (<see cref="FastCgiServerRequest.AbortConnection"/>), so a broken answer never looks
/// complete. Each is logged with the app and pid.
/// </para>
/// </summary>
internal sealed class FastCgiRelay
{
    private readonly WebLog _log;
    private readonly ObjectPool<DispatchExchange> _exchanges = new DefaultObjectPool<DispatchExchange>(new DispatchExchange.Policy(), 1024);

    private readonly Scoreboard.WebScoreboard? _scoreboard;

    /// <param name="scoreboard">Where the requests are counted for the status report; null: not counted.</param>
    public FastCgiRelay(WebLog log, Scoreboard.WebScoreboard? scoreboard = null)
    {
        _log = log;
        _scoreboard = scoreboard;
    }

    /// <summary>Forwards <paramref name="request"/> to <paramref name="app"/>; returns the app status for END_REQUEST.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ForwardAsync(FastCgiServerRequest request, AppBackend app, IRequestLifecycle? lifecycle)
    {
        var exchange = _exchanges.Get();
        exchange.ConnectedAt = 0;
        RequestLimits? limits = null;
        var arrival = app.Time.GetTimestamp();
        var method = request.Params.GetValue("REQUEST_METHOD");
        var scoreApp = _scoreboard is { } board ? app.ScoreboardIndex(board) : -1;
        var slot = scoreApp >= 0 ? _scoreboard!.Begin(scoreApp, method ?? "?", request.Params.GetValue("REQUEST_URI") ?? "", app.Time.GetUtcNow()) : -1;
        exchange.ScoreSlot = slot;
        try
        {
            var body = HasNoBody(request) ? null : request.Stdin;
            var replayable = body is null;
            var idempotent = method is "GET" or "HEAD";
            var retries = default(AttemptRetries);
            var startLimit = lifecycle?.StartLimit ?? app.Settings.AppConnTimeout;
            if (app.Settings.RequestTimeout is not null || app.Settings.SlowLog is not null)
            {
                limits = new RequestLimits(app, exchange, lifecycle, _log, Describe(request), request.Aborted);
            }

            while (true)
            {
                var (attempt, who, status) = await AttemptAsync(request, app, exchange, body, lifecycle, limits, startLimit, startLimit - app.Time.GetElapsedTime(arrival)).ConfigureAwait(false);
                if (attempt == AttemptOutcome.Done)
                {
                    return status;
                }

                switch (retries.Next(attempt, lifecycle, replayable, idempotent))
                {
                    case RetryStep.Again:
                        continue;

                    case RetryStep.OnceMore:
                        _log.Write($"{who ?? app.Name}: closed the connection before answering {Describe(request)}; sending it once more on a new connection");
                        continue;

                    default:
                        _log.Write($"{who ?? app.Name}: 502 for {Describe(request)}: the app closed the connection without answering");
                        DispatchAnswers.Write(request.Stdout, 502, "the application closed the connection without answering");
                        return 0;
                }
            }
        }
        catch (OperationCanceledException) when (request.IsAborted)
        {
            // The web server aborted: the app's request was aborted with it; nobody is left to answer.
            return 1;
        }
        finally
        {
            if (scoreApp >= 0)
            {
                _scoreboard!.End(scoreApp, slot, exchange.ConnectedAt == 0 ? null : app.Time.GetElapsedTime(arrival, exchange.ConnectedAt),
                    exchange.ConnectedAt == 0 ? null : app.Time.GetElapsedTime(exchange.ConnectedAt));
            }

            limits?.Dispose();
            _exchanges.Return(exchange);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(AttemptOutcome Kind, string? Who, int AppStatus)> AttemptAsync(
        FastCgiServerRequest request, AppBackend app, DispatchExchange exchange, PipeReader? body, IRequestLifecycle? lifecycle, RequestLimits? limits,
        TimeSpan startLimit, TimeSpan startLeft)
    {
        var clientAborted = request.Aborted;
        var aborted = limits?.Token ?? clientAborted;
        var rented = await AppRental.RentAsync(app, lifecycle, clientAborted).ConfigureAwait(false);
        if (rented.Connection is not { } connection)
        {
            _log.Write($"app {app.Name}: 503 for {Describe(request)}: {rented.Problem}");
            DispatchAnswers.Write(request.Stdout, 503, rented.Message!);
            return (AttemptOutcome.Done, null, 0);
        }

        exchange.Connection = connection;
        if (exchange.ConnectedAt == 0)
        {
            exchange.ConnectedAt = app.Time.GetTimestamp();
        }

        _scoreboard?.Connected(exchange.ScoreSlot, (int)connection.Socket.Handle);
        FastCgiClientRequest? forwarded = null;
        var deadline = AcceptDeadline.Arm(connection, startLimit, startLeft, aborted);
        try
        {
            var token = deadline?.Token ?? aborted;
            try
            {
                forwarded = await connection.Client.BeginRequestAsync(new FastCgiOutgoingRequest
                {
                    Parameters = [],
                    EncodedParameters = request.Params.Encoded,
                    Body = body,
                    StandardError = exchange.StandardError,
                }, token).ConfigureAwait(false);
            }
            catch (FastCgiConnectionClosedException)
            {
                return (AttemptOutcome.Stale, connection.Who, 0);
            }

            return await RelayAsync(request, exchange, forwarded, lifecycle, token).ConfigureAwait(false);
        }
        catch (Exception e) when (deadline is { Expired: true } && !aborted.IsCancellationRequested && !exchange.AnswerStarted
            && e is OperationCanceledException or IOException or FastCgiException or InvalidOperationException)
        {
            // No instance took the connection within the start limit, as on the HTTP side (AcceptDeadline).
            _log.Write($"app {app.Name}: 503 for {Describe(request)}: {AcceptDeadline.Why(app, startLimit, lifecycle is not null)}");
            DispatchAnswers.Write(request.Stdout, 503, AcceptDeadline.Message);
            return (AttemptOutcome.Done, null, 0);
        }
        catch (Exception e) when (limits is not null && limits.TimedOut(clientAborted)
            && e is OperationCanceledException or IOException or FastCgiException or InvalidOperationException)
        {
            // -request-timeout: the token aborted the app's request (FCGI_ABORT_REQUEST), as on the HTTP side.
            limits.ReportTimedOut(connection, forwarded?.Released, exchange.AnswerStarted);
            Fail(request, exchange, 504, "the application did not answer in time");
            return (AttemptOutcome.Done, null, 0);
        }
        catch (FastCgiConnectionClosedException e) when (!e.ResponseStarted && !exchange.AnswerStarted)
        {
            return (AttemptOutcome.ClosedBeforeAnswer, connection.Who, 0);
        }
        catch (FastCgiIdleTimeoutException e)
        {
            _log.Write($"{connection.Who}: {(exchange.AnswerStarted ? "answer cut" : "504")} for {Describe(request)}: {e.Message} (-idle-timeout); its request was aborted");
            Fail(request, exchange, 504, "the application did not answer in time");
            return (AttemptOutcome.Done, null, 0);
        }
        catch (FastCgiException e) when (!aborted.IsCancellationRequested)
        {
            _log.Write($"{connection.Who}: {(exchange.AnswerStarted ? "answer cut" : "502")} for {Describe(request)}: {e.Message}");
            Fail(request, exchange, 502, "the application failed while answering");
            return (AttemptOutcome.Done, null, 0);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or FastCgiException)
        {
            // The web server left (its STDIN was cut with its connection, or it aborted): disposing the app's request
            // below aborts it there too.
            return (AttemptOutcome.Done, null, 1);
        }
        finally
        {
            deadline?.Dispose();
            if (forwarded is not null)
            {
                await forwarded.DisposeAsync().ConfigureAwait(false);
            }

            exchange.Output = null;
            exchange.MoveStandardError(request, _log);
            exchange.Connection = null;
            app.Pool.Return(connection, forwarded);
        }
    }

    private async ValueTask<(AttemptOutcome Kind, string? Who, int AppStatus)> RelayAsync(
        FastCgiServerRequest request, DispatchExchange exchange, FastCgiClientRequest forwarded, IRequestLifecycle? lifecycle, CancellationToken aborted)
    {
        var output = forwarded.Output;
        var stdout = request.Stdout;
        var firstByte = lifecycle is null;
        exchange.Output = output;
        while (true)
        {
            var result = await output.ReadAsync(aborted).ConfigureAwait(false);
            var buffer = result.Buffer;
            var any = !buffer.IsEmpty;
            if (any)
            {
                if (!firstByte)
                {
                    firstByte = true;
                    lifecycle!.OnFirstByte();
                }

                foreach (var segment in buffer)
                {
                    stdout.Write(segment.Span);
                }

                exchange.AnswerStarted = true;
            }

            output.AdvanceTo(buffer.End);
            var stderr = exchange.MoveStandardError(request, _log);
            if (result.IsCompleted)
            {
                // What is still buffered leaves with END_REQUEST, in one write.
                break;
            }

            if (stderr && (await request.Stderr.FlushAsync(aborted).ConfigureAwait(false)).IsCompleted)
            {
                return (AttemptOutcome.Done, null, 1);
            }

            if (any && (await stdout.FlushAsync(aborted).ConfigureAwait(false)).IsCompleted)
            {
                // The web server's connection is gone: disposing the app's request aborts it.
                return (AttemptOutcome.Done, null, 1);
            }
        }

        var end = await forwarded.Completion.ConfigureAwait(false);
        if (end.IsComplete || exchange.AnswerStarted)
        {
            return (AttemptOutcome.Done, null, end.AppStatus);
        }

        var who = exchange.Connection!.Who;
        if (end.ProtocolStatus == FastCgiProtocolStatus.Overloaded)
        {
            _log.Write($"{who}: 503 for {Describe(request)}: the app is overloaded (END_REQUEST FCGI_OVERLOADED)");
            DispatchAnswers.Write(stdout, 503, "the application is overloaded; try again in a few seconds");
        }
        else
        {
            _log.Write($"{who}: 502 for {Describe(request)}: it refused the request ({end.ProtocolStatus})");
            DispatchAnswers.Write(stdout, 502, "the application sent no valid response");
        }

        return (AttemptOutcome.Done, null, 0);
    }

    /// <summary>The dispatcher's answer, or, once some of the app's answer was passed on, the web server's connection closed.</summary>
    private static void Fail(FastCgiServerRequest request, DispatchExchange exchange, int status, string message)
    {
        if (exchange.AnswerStarted)
        {
            request.AbortConnection($"the answer was cut: {message}");
            return;
        }

        DispatchAnswers.Write(request.Stdout, status, message);
    }

    /// <summary>
    /// Whether the web server's STDIN has already ended empty (nginx sends the empty record with the params of a
    /// request without a body): then none is pumped, and the request can be sent again after a reset, like a
    /// bodiless HTTP request. Nothing is consumed.
    /// </summary>
    private static bool HasNoBody(FastCgiServerRequest request)
    {
        if (!request.Stdin.TryRead(out var result))
        {
            return false;
        }

        var empty = result.IsCompleted && result.Buffer.IsEmpty;
        request.Stdin.AdvanceTo(result.Buffer.Start);
        return empty;
    }

    /// <summary>"FastCGI GET /uri" for a log line, cut at 200 characters.</summary>
    internal static string Describe(FastCgiServerRequest request)
    {
        var parameters = request.Params;
        var target = parameters.GetValue("REQUEST_URI") ?? parameters.GetValue("SCRIPT_FILENAME") ?? "?";
        if (target.Length > 200)
        {
            target = target[..200] + "...";
        }

        return $"FastCGI {parameters.GetValue("REQUEST_METHOD") ?? "?"} {target}";
    }
}
