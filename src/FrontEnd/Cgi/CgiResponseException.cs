namespace Pm.FrontEnd.Cgi;

/// <summary>The app's CGI response header block is malformed or too long. The front end answers 502.</summary>
public sealed class CgiResponseException : Exception
{
    public CgiResponseException(string message)
        : base(message)
    {
    }
}
