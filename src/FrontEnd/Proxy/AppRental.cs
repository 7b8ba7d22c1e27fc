using Pm.FrontEnd.Apps;
using Pm.Protocol.FastCgi;

namespace Pm.FrontEnd.Proxy;

/// <summary>
/// The first step of every attempt to forward a request, HTTP or FastCGI alike: a connection to the app from its
/// pool, and for a dynamic app whose socket is missing or refuses, a start asked of the PM (through the request's
/// <see cref="IRequestLifecycle"/>: one S record however many requests wait) and a wait for the socket, bounded by
/// the request's start deadline (-appConnTimeout, else -idle-timeout, from its arrival). One place, so a request that
/// comes through the dispatcher starts an app exactly as one over HTTP does.
/// </summary>
internal static class AppRental
{
    /// <summary>A connection, or why there is none: <see cref="Problem"/> for the log, <see cref="Message"/> for the client's 503.</summary>
    public readonly record struct Outcome(AppConnection? Connection, string? Problem, string? Message);

    /// <exception cref="OperationCanceledException"><paramref name="aborted"/> fired (the client went away).</exception>
    public static async ValueTask<Outcome> RentAsync(AppBackend app, IRequestLifecycle? lifecycle, CancellationToken aborted)
    {
        while (true)
        {
            FastCgiConnectException unreachable;
            if (lifecycle is not null && lifecycle.AppSocketMissing())
            {
                unreachable = new FastCgiConnectException(app.EndPoint, new FileNotFoundException("its socket does not exist (the app is not running)"));
            }
            else
            {
                try
                {
                    return new Outcome(await app.Pool.RentAsync(aborted).ConfigureAwait(false), null, null);
                }
                catch (FastCgiConnectException e) when (lifecycle is not null && AppConnector.IsAbsentOrRefused(e))
                {
                    unreachable = e;
                }
                catch (FastCgiConnectException e)
                {
                    return new Outcome(null, e.Message, "the application is not reachable; try again in a few seconds");
                }
            }

            if (!await lifecycle.WaitForStartAsync(unreachable, aborted).ConfigureAwait(false))
            {
                return new Outcome(null, $"the app did not start in time ({unreachable.Message})", "the application is starting; try again in a few seconds");
            }
        }
    }
}
