namespace Pm.FrontEnd.Proxy;

/// <summary>What to do after an attempt that did not end the request: send it again, once more on a new connection, or give up.</summary>
internal enum RetryStep
{
    /// <summary>Send it again at once (a stale kept connection; or a dynamic app's start was asked for again).</summary>
    Again,

    /// <summary>Send it once more on a new connection (the instance died before answering a GET or HEAD); worth a log line.</summary>
    OnceMore,

    /// <summary>No retry is left or allowed: 502.</summary>
    GiveUp,
}

/// <summary>
/// The retry rule of one request, shared by the HTTP proxy and the FastCGI dispatcher so that both retry alike. A
/// kept connection found closed when the request was sent (nothing was sent) is replaced up to
/// <see cref="MaxStaleRetries"/> times, for any method. A dynamic app's request whose connection closed before any
/// answer (the PM released an idle app's socket) asks for a start again, up to <see cref="MaxDynamicResets"/> times,
/// when its body can be sent again. Otherwise a GET or HEAD without a body whose connection closed before the first
/// byte (the instance died) is sent once more; the shared listening socket gives it to another instance.
/// </summary>
internal struct AttemptRetries
{
    public const int MaxStaleRetries = 2;
    public const int MaxDynamicResets = 3;

    private int _stale;
    private int _resets;
    private bool _retried;

    public RetryStep Next(AttemptOutcome outcome, IRequestLifecycle? lifecycle, bool replayable, bool idempotent)
    {
        if (outcome == AttemptOutcome.Stale && _stale++ < MaxStaleRetries)
        {
            return RetryStep.Again;
        }

        if (lifecycle is not null && replayable && _resets++ < MaxDynamicResets)
        {
            lifecycle.OnResetBeforeAnswer();
            return RetryStep.Again;
        }

        if (replayable && idempotent && !_retried)
        {
            _retried = true;
            return RetryStep.OnceMore;
        }

        return RetryStep.GiveUp;
    }
}
