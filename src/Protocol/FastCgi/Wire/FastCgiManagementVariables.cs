namespace Pm.Protocol.FastCgi;

/// <summary>Variable names an application answers in GET_VALUES_RESULT (spec §4.1).</summary>
public static class FastCgiManagementVariables
{
    /// <summary>The maximum number of concurrent transport connections the application will accept.</summary>
    public const string MaxConns = "FCGI_MAX_CONNS";

    /// <summary>The maximum number of concurrent requests the application will accept.</summary>
    public const string MaxReqs = "FCGI_MAX_REQS";

    /// <summary>"1" if the application multiplexes connections (several requests on one connection), else "0".</summary>
    public const string MpxsConns = "FCGI_MPXS_CONNS";

    /// <summary>All three, in the order the spec lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [MaxConns, MaxReqs, MpxsConns];
}
