namespace Pm.FrontEnd.Cgi;

/// <summary>What a request path under an app's URL leads to (<see cref="ScriptMapper"/>).</summary>
public enum MappedKind
{
    /// <summary>The app: a script it runs, or the app itself when it has no -document-root.</summary>
    Script,

    /// <summary>A file under the document root that is not a script: sent as it is, never through the app.</summary>
    StaticFile,

    /// <summary>A directory named without its trailing slash: 301 to the slash URL, so relative links in its index work.</summary>
    Redirect,

    /// <summary>Nothing to serve: 403 or 404, with the reason for the log.</summary>
    Refused,
}
