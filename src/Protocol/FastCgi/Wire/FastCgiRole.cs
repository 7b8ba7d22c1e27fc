namespace Pm.Protocol.FastCgi;

/// <summary>The role a web server asks an application to play for one request (spec §5.1, §6).</summary>
public enum FastCgiRole : ushort
{
    Responder = 1,
    Authorizer = 2,
    Filter = 3,
}
