namespace Pm.FrontEnd.Cgi;

/// <summary>
/// What a request URL names in CGI terms (RFC 3875 §4.1.13, §4.1.5): the script's URL (SCRIPT_NAME), the rest of
/// the path (PATH_INFO), the file the app runs (SCRIPT_FILENAME, a php-cgi and nginx convention) and the document
/// root, when the app has one.
/// </summary>
public readonly record struct ScriptTarget(string ScriptName, string PathInfo, string ScriptFilename, string? DocumentRoot);
