namespace Pm.FrontEnd.Apps;

/// <summary>How the front end uses connections to an app, decided by its FCGI_GET_VALUES answer.</summary>
public enum ConnectionReuse
{
    /// <summary>Not asked yet (or the app could not be reached): one connection per request meanwhile.</summary>
    Unknown,

    /// <summary>The app does not multiplex: one connection per request, closed by the app after END_REQUEST.</summary>
    OnePerRequest,

    /// <summary>FCGI_MPXS_CONNS=1: requests share a bounded set of kept connections.</summary>
    Multiplexed,
}
