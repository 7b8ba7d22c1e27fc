using Pm.FrontEnd.Apps;

namespace Pm.FrontEnd.Proxy;

/// <summary>
/// The connection a request's current attempt runs on, as <see cref="RequestLimits"/> reads it when the request runs
/// past -slow-log: the HTTP proxy's and the dispatcher's per-request state both say it.
/// </summary>
internal interface ICurrentAttempt
{
    AppConnection? Connection { get; }
}
