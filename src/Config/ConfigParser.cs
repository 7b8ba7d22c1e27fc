using System.Globalization;

namespace Pm.Config;

/// <summary>
/// Turns directives into a <see cref="PmConfig"/>. Every error is collected with its file, line and directive,
/// so `pm check-config` can report them all at once; nothing is started from a config with errors.
/// Relative paths are taken relative to the config file's directory.
/// </summary>
/// <remarks>
/// One partial file per concept: this one holds the directive table and the passes over it;
/// <c>ConfigParser.Sections.cs</c> Apache's sections, <c>ConfigParser.Globals.cs</c> the global directives,
/// <c>ConfigParser.Apps.cs</c> static and external apps, <c>ConfigParser.Dynamic.cs</c> FastCgiConfig's settings and
/// PmDynamicRoot, <c>ConfigParser.Apache.cs</c> the Apache lines a mod_fastcgi config stands on, and
/// <c>ConfigParser.Mounts.cs</c> the URLs they give apps and directories.
/// </remarks>
public sealed partial class ConfigParser
{
    /// <summary>
    /// Every directive Pm reads, by name (case-insensitive; mod_fastcgi's old names beside the new ones), and the pass
    /// that reads it. Globals are read first because the apps depend on them (mod_fastcgi required FastCgiIpcDir
    /// first; Pm accepts it anywhere).
    /// </summary>
    private static readonly Dictionary<string, DirectiveHandler> Handlers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["FastCgiIpcDir"] = new(DirectivePass.Globals, static (p, d) => p.ReadIpcDir(d)),
        ["FastCgiWrapper"] = new(DirectivePass.Globals, static (p, d) => p.ReadWrapper(d)),
        ["PmListen"] = new(DirectivePass.Globals, static (p, d) => p.ReadListen(d)),
        ["PmFastCgiListen"] = new(DirectivePass.Globals, static (p, d) => p.ReadFastCgiListen(d)),
        ["PmStatusListen"] = new(DirectivePass.Globals, static (p, d) => p.ReadStatusListen(d)),
        ["PmStatusPage"] = new(DirectivePass.Globals, static (p, d) => p.ReadStatusPage(d)),
        ["PmWebProcesses"] = new(DirectivePass.Globals, static (p, d) => p.ReadWebProcesses(d)),
        ["PmShutdownTimeout"] = new(DirectivePass.Globals, static (p, d) => p.ReadShutdownTimeout(d)),
        ["PmQueueGroup"] = new(DirectivePass.Globals, static (p, d) => p.ReadQueueGroup(d)),
        ["PmLogFile"] = new(DirectivePass.Globals, static (p, d) => p.ReadLogFile(d)),
        ["PmServerName"] = new(DirectivePass.Globals, static (p, d) => p.ReadServerName(d)),
        ["PmRequestBodyBuffer"] = new(DirectivePass.Globals, static (p, d) => p.ReadBodyBuffer(d)),
        ["PmRequestBodyMax"] = new(DirectivePass.Globals, static (p, d) => p.ReadBodyMax(d)),
        ["FastCgiConfig"] = new(DirectivePass.Globals, static (p, d) => p.ReadDynamicOnce(d)),
        ["FCGIConfig"] = new(DirectivePass.Globals, static (p, d) => p.ReadDynamicOnce(d)),
        ["FastCgiServer"] = new(DirectivePass.Apps, static (p, d) => p.AddStatic(d)),
        ["AppClass"] = new(DirectivePass.Apps, static (p, d) => p.AddStatic(d)),
        ["FastCgiExternalServer"] = new(DirectivePass.Apps, static (p, d) => p.AddExternal(d)),
        ["ExternalAppClass"] = new(DirectivePass.Apps, static (p, d) => p.AddExternal(d)),
        ["PmDynamicRoot"] = new(DirectivePass.Apps, static (p, d) => p.AddDynamicRoot(d)),
        ["Alias"] = new(DirectivePass.Apache, static (p, d) => p.ReadAlias(d, script: false)),
        ["ScriptAlias"] = new(DirectivePass.Apache, static (p, d) => p.ReadAlias(d, script: true)),
        ["AddHandler"] = new(DirectivePass.Apache, static (p, d) => p.ReadAddHandler(d)),
        ["SetHandler"] = new(DirectivePass.Apache, static (p, d) => p.ReadSetHandler(d)),
        ["AddType"] = new(DirectivePass.Apache, static (p, d) => p.ReadAddType(d)),
        ["Action"] = new(DirectivePass.Apache, static (p, d) => p.ReadAction(d)),
        ["Options"] = new(DirectivePass.Apache, static (p, d) => p.ReadOptions(d)),
        ["DocumentRoot"] = new(DirectivePass.Apache, static (p, d) => p.ReadDocumentRoot(d)),
    };

    /// <summary>Every directive name the parser reads (old names included), for the check that the reference names them all.</summary>
    internal static IEnumerable<string> DirectiveNames => Handlers.Keys;

    private readonly List<ConfigError> _errors = [];
    private readonly List<ConfigNotice> _notices = [];
    private readonly string _file;
    private readonly string _baseDir;

    private ConfigParser(string file)
    {
        _file = file;
        _baseDir = Path.GetDirectoryName(Path.GetFullPath(file)) ?? "/";
    }

    public static PmConfig ParseFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException([new ConfigError(path, 0, "", $"cannot read the config file: {e.Message}")]);
        }

        return ParseText(path, text);
    }

    public static PmConfig ParseText(string file, string text)
    {
        var parser = new ConfigParser(file);
        var directives = DirectiveReader.Read(file, text, parser._errors);
        var config = parser.Build(directives);
        if (parser._errors.Count > 0)
        {
            // In file order, whichever pass found them: a user reads them top to bottom.
            throw new ConfigException([.. parser._errors.OrderBy(e => e.Line)]);
        }

        return config;
    }

    private void Error(Directive d, string message) => _errors.Add(new ConfigError(d.File, d.Line, d.Name, message));

    private void Notice(Directive d, string message) => _notices.Add(new ConfigNotice(d.File, d.Line, d.Name, message));

    private string Resolve(string path) => Path.GetFullPath(Path.Combine(_baseDir, path));

    private PmConfig Build(IReadOnlyList<Directive> all)
    {
        var directives = ReadSections(all);
        Read(directives, DirectivePass.Globals);
        SettleIpcDir();
        SettleDynamicDefaults();
        Read(directives, DirectivePass.Apps);
        Read(directives, DirectivePass.Apache);
        DeriveMounts();
        return new PmConfig(Path.GetFullPath(_file), _ipc, _wrapper, _statics, _externals, _dynamic, _roots, BuildFrontEnd(),
            _shutdown ?? TimeSpan.FromSeconds(5), QueueGroup: null) // PmQueueGroup has never been kept: a known gap, not fixed here
        {
            Notices = [.. _notices.OrderBy(n => n.Line)],
            LogFile = _logFile,
        };
    }

    /// <summary>
    /// Hands each directive of <paramref name="pass"/> to its handler; the last pass reports the rest: a known Apache
    /// directive is a notice, an unknown name an error (in mod_fastcgi's and Pm's own set always, so a misspelt
    /// FastCgiServr never passes for an Apache line).
    /// </summary>
    private void Read(IReadOnlyList<Directive> directives, DirectivePass pass)
    {
        foreach (var d in directives)
        {
            if (Handlers.TryGetValue(d.Name, out var handler))
            {
                if (handler.Pass == pass && (pass == DirectivePass.Apache || ServerConfigOnly(d)))
                {
                    handler.Read(this, d);
                }
            }
            else if (pass == DirectivePass.Apache)
            {
                if (!ApacheVocabulary.IsPmsOwn(d.Name) && ApacheVocabulary.WhyIgnored(d.Name) is { } why)
                {
                    Notice(d, $"ignored: Apache directive {d.Name}: {why}");
                }
                else
                {
                    Error(d, "unknown directive; Pm reads the mod_fastcgi directives (FastCgiServer, FastCgiExternalServer, FastCgiConfig, FastCgiIpcDir, FastCgiWrapper and their old names), its own Pm* directives, and passes over Apache's with a notice");
                }
            }
        }
    }

    /// <summary>mod_fastcgi's directives and Pm's are server-wide (RSRC_CONF): Apache refuses them in a &lt;Directory&gt;, and so does Pm.</summary>
    private bool ServerConfigOnly(Directive d)
    {
        if (d.Section is { } s && (s.Nearest("Directory") ?? s.Nearest("Location") ?? s.Nearest("Files") ?? s.Nearest("FilesMatch")) is { } scope)
        {
            Error(d, $"not allowed inside {scope} (line {scope.Tag.Line}): it applies to the whole server");
            return false;
        }

        return true;
    }

    private string? Single(Directive d, string? previous, string what)
    {
        if (previous is not null)
        {
            Error(d, "given more than once");
            return null;
        }

        if (d.Arguments.Count != 1)
        {
            Error(d, $"takes exactly one argument: {what}");
            return null;
        }

        return d.Arguments[0];
    }

    private int ParseInt(Directive d, string text, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
        {
            Error(d, $"'{text}' must be a whole number between {min} and {max}");
            return min;
        }

        return n;
    }

    private AppAddress? ParseTcp(Directive d, string path, string text, string? defaultHost)
    {
        var colon = text.LastIndexOf(':');
        var host = colon > 0 ? text[..colon].Trim('[', ']') : defaultHost;
        var portText = colon >= 0 ? text[(colon + 1)..] : text;
        if (host is null || host.Length == 0)
        {
            Error(d, $"{path}: '{text}' must be HOST:PORT");
            return null;
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port < 1 || port > 65535)
        {
            Error(d, $"{path}: port '{portText}' must be between 1 and 65535");
            return null;
        }

        return AppAddress.Tcp(host, port);
    }

    private string? NormalizePrefix(Directive d, string url)
    {
        if (!url.StartsWith('/') || url.Contains("..", StringComparison.Ordinal) || url.Any(char.IsWhiteSpace))
        {
            Error(d, $"URL prefix '{url}' must start with '/' and contain no '..' or blanks");
            return null;
        }

        return url.Length > 1 ? url.TrimEnd('/') : url;
    }
}
