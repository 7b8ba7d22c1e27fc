namespace Pm.Protocol.FastCgi;

/// <summary>Flags of BEGIN_REQUEST (spec §5.1).</summary>
[Flags]
public enum FastCgiBeginRequestFlags : byte
{
    None = 0,

    /// <summary>FCGI_KEEP_CONN: the application must not close the connection after this request.</summary>
    KeepConnection = 1,
}
