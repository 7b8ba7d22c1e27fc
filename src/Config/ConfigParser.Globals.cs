namespace Pm.Config;

/// <summary>The global directives: where the IPC dir is, the wrapper, and Pm's own settings of the PM and the front end.</summary>
public sealed partial class ConfigParser
{
    private string? _ipcDirGiven;
    private string _ipcDir = "";
    private IpcDirLocation _ipc = null!;
    private string? _wrapper;
    private string? _listen;
    private Directive? _listenDirective;
    private TlsSettings? _tls;
    private int? _webProcesses;
    private AppAddress? _fastCgiListen;
    private string? _fastCgiListenText;
    private SocketAccess? _fastCgiAccess;
    private TimeSpan? _shutdown;
    private string? _logFile;

    private void ReadIpcDir(Directive d)
    {
        if (Single(d, _ipcDirGiven, "a directory") is { } dir)
        {
            _ipcDirGiven = Resolve(dir);
        }
    }

    /// <summary>
    /// The IPC dir given, or the default, and the directory that stands for it (its pm-UID subdirectory when it is an
    /// existing directory the PM did not create); that one must leave room for the socket paths inside it.
    /// </summary>
    private void SettleIpcDir()
    {
        _ipc = IpcLayout.Locate(_ipcDirGiven ?? IpcLayout.DefaultDirectory());
        _ipcDir = _ipc.Path;
        if (!IpcLayout.FitsSocketPath(IpcLayout.DynamicSocket(_ipcDir, "x")))
        {
            _errors.Add(new ConfigError(_file, 0, "FastCgiIpcDir", $"'{_ipcDir}'{(_ipc.IsSubdirectory ? $" (the PM's own subdirectory of {_ipc.Configured})" : "")} is too long for Unix socket paths inside it (at most {IpcLayout.MaxSocketPathBytes - 45} bytes)"));
        }
    }

    private void ReadWrapper(Directive d)
    {
        if (Single(d, _wrapper, "On, Off or a path") is { } w)
        {
            var on = w.Equals("on", StringComparison.OrdinalIgnoreCase);
            _wrapper = w.ToLowerInvariant() switch
            {
                "off" => null,
                "on" => Suexec.Find(),
                _ => Resolve(w),
            };
            if (on && _wrapper is null)
            {
                Error(d, Suexec.Missing);
            }
            else if (_wrapper is not null && !Posix.UserDatabase.CanExecute(_wrapper))
            {
                Error(d, $"wrapper '{_wrapper}' is not an executable file");
            }
        }
    }

    /// <summary>`PmListen [ADDRESS:]PORT [-cert FILE -key FILE] [-http2 on|off]`.</summary>
    private void ReadListen(Directive d)
    {
        if (_listenDirective is not null)
        {
            Error(d, "given more than once");
            return;
        }

        _listenDirective = d;
        if (d.Arguments.Count == 0 || d.Arguments[0].StartsWith('-'))
        {
            Error(d, "takes [ADDRESS:]PORT, then optionally -cert FILE -key FILE and -http2 on|off");
            return;
        }

        _listen = d.Arguments[0];
        if (AddressOptions(d, "-cert FILE, -key FILE and -http2 on|off", "-cert", "-key", "-http2") is not { } options)
        {
            return;
        }

        var cert = options.GetValueOrDefault("-cert") is { } c ? Resolve(c) : null;
        var key = options.GetValueOrDefault("-key") is { } k ? Resolve(k) : null;
        bool? http2 = null;
        if (options.GetValueOrDefault("-http2") is { } h)
        {
            http2 = h.ToLowerInvariant() switch
            {
                "on" => true,
                "off" => false,
                _ => null,
            };
            if (http2 is null)
            {
                Error(d, $"-http2 takes on or off, not '{h}'");
                return;
            }
        }

        if ((cert is null) != (key is null))
        {
            Error(d, cert is null ? "-key needs -cert (the certificate it belongs to)" : "-cert needs -key (the certificate's private key)");
            return;
        }

        if (cert is null)
        {
            if (http2 == true)
            {
                Error(d, "-http2 on needs TLS (-cert and -key): browsers speak HTTP/2 only over TLS");
            }

            return;
        }

        if (TlsCertificate.Check(cert, key!) is { } problem)
        {
            Error(d, problem);
            return;
        }

        _tls = new TlsSettings(cert, key!, http2 ?? true);
    }

    /// <summary>
    /// PmFastCgiListen unix:PATH | [ADDRESS:]PORT [-socket-user U] [-socket-group G] [-socket-mode M]: where the web
    /// processes accept FastCGI for the dispatcher. A relative PATH is relative to the config file, as every path; the
    /// address defaults to 127.0.0.1, as PmListen's. A Unix socket's access is set as an app socket's is (php-fpm's
    /// listen.owner/group/mode); without any of the three it is 0660, the PM's user and group, since the socket is
    /// there for a web server to connect to.
    /// </summary>
    private void ReadFastCgiListen(Directive d)
    {
        if (_fastCgiListenText is not null)
        {
            Error(d, "given more than once");
            return;
        }

        _fastCgiListenText = d.Arguments.Count > 0 ? d.Arguments[0] : "";
        if (ListenAddress(d, "PmFastCgiListen") is { } listen)
        {
            (_fastCgiListen, _fastCgiAccess) = listen;
        }
    }

    /// <summary>
    /// A listening address Pm opens for the web processes besides PmListen (PmFastCgiListen, PmStatusListen):
    /// unix:PATH (relative to the config file) with -socket-user/-group/-mode, 0660 without them; or [ADDRESS:]PORT,
    /// 127.0.0.1 without an address. Null, with the error on the directive's line, when it is not one.
    /// </summary>
    private (AppAddress Address, SocketAccess? Access)? ListenAddress(Directive d, string name)
    {
        if (d.Arguments.Count == 0 || d.Arguments[0].StartsWith('-'))
        {
            Error(d, "takes unix:PATH or [ADDRESS:]PORT, then optionally -socket-user, -socket-group and -socket-mode");
            return null;
        }

        var text = d.Arguments[0];
        const string User = "-" + SocketAccess.UserOption, Group = "-" + SocketAccess.GroupOption, Mode = "-" + SocketAccess.ModeOption;
        if (AddressOptions(d, "-socket-user, -socket-group and -socket-mode", User, Group, Mode) is not { } options)
        {
            return null;
        }

        var (user, group, mode) = (options.GetValueOrDefault(User), options.GetValueOrDefault(Group), options.GetValueOrDefault(Mode));
        var given = user is not null || group is not null || mode is not null;

        if (text.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
        {
            var path = text["unix:".Length..];
            if (path.Length == 0)
            {
                Error(d, "'unix:' must be followed by the socket's path");
                return null;
            }

            path = Resolve(path);
            if (!IpcLayout.FitsSocketPath(path))
            {
                Error(d, $"socket path '{path}' is too long for a Unix socket (at most {IpcLayout.MaxSocketPathBytes - IpcLayout.TemporarySuffix.Length} bytes)");
                return null;
            }

            if (!Directory.Exists(Path.GetDirectoryName(path)))
            {
                Error(d, $"the directory of socket path '{path}' does not exist");
                return null;
            }

            var access = given
                ? SocketAccess.Parse(user, group, mode, message => Error(d, message))
                : SocketAccess.Private with { Mode = SocketAccess.SharedMode };
            return (AppAddress.Unix(path), access);
        }

        if (given)
        {
            Error(d, "-socket-user, -socket-group and -socket-mode apply to a Unix socket (unix:PATH), not to a TCP port");
            return null;
        }

        return ParseTcp(d, name, text, "127.0.0.1") is { } tcp ? (tcp, null) : null;
    }

    /// <summary>
    /// The "-name value" pairs after a listening directive's address (PmListen, PmFastCgiListen), each name one of
    /// <paramref name="names"/> and given once; null, with the error on the directive's line, otherwise.
    /// </summary>
    private Dictionary<string, string>? AddressOptions(Directive d, string takes, params string[] names)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < d.Arguments.Count; i += 2)
        {
            var option = d.Arguments[i];
            if (Array.IndexOf(names, option) < 0)
            {
                Error(d, $"unknown option '{option}' ({d.Name} takes {takes})");
                return null;
            }

            if (i + 1 >= d.Arguments.Count)
            {
                Error(d, $"{option} needs a value");
                return null;
            }

            if (!options.TryAdd(option, d.Arguments[i + 1]))
            {
                Error(d, $"{option} given more than once");
                return null;
            }
        }

        return options;
    }

    // PmWebProcesses and PmShutdownTimeout have never been checked for repetition: the last one given wins.
    private void ReadWebProcesses(Directive d)
    {
        if (Single(d, null, "a number") is { } n)
        {
            _webProcesses = ParseInt(d, n, 1, 256);
        }
    }

    private void ReadShutdownTimeout(Directive d)
    {
        if (Single(d, null, "seconds") is { } s)
        {
            _shutdown = TimeSpan.FromSeconds(ParseInt(d, s, 0, 3600));
        }
    }

    // The group is checked but, as before the directive table, neither kept nor checked for repetition: see Build.
    private void ReadQueueGroup(Directive d)
    {
        if (Single(d, null, "a group") is { } g && Posix.UserDatabase.FindGroup(g) is null)
        {
            Error(d, $"unknown group '{g}'");
        }
    }

    /// <summary>
    /// PmLogFile PATH. The file itself is opened (and created) only when the PM starts, so that check-config creates
    /// nothing; what can be known now is checked here, so a typo is a config error with its line, not a failed start.
    /// </summary>
    private void ReadLogFile(Directive d)
    {
        if (Single(d, _logFile, "a file path") is not { } given)
        {
            return;
        }

        var path = Resolve(given);
        if (Directory.Exists(path))
        {
            Error(d, $"'{path}' is a directory; PmLogFile names a file");
            return;
        }

        var parent = Path.GetDirectoryName(path) ?? "/";
        if (!Directory.Exists(parent))
        {
            Error(d, $"the directory of '{path}' ({parent}) does not exist");
            return;
        }

        _logFile = path;
    }

    private FrontEndConfig BuildFrontEnd()
    {
        var host = "127.0.0.1";
        var port = 8080;
        if (_listen is not null && ParseTcp(_listenDirective!, "PmListen", _listen, "127.0.0.1") is { } address)
        {
            (host, port) = (address.Host!, address.Port);
        }

        return new FrontEndConfig(host, port, _webProcesses ?? System.Environment.ProcessorCount, _tls, _fastCgiListen, _fastCgiAccess,
            _serverName, _bodyBuffer ?? FrontEndConfig.DefaultBodyBuffer, _bodyMax ?? FrontEndConfig.DefaultBodyMax)
        {
            StatusListen = _statusListen,
            StatusAccess = _statusAccess,
            StatusPage = _statusPage,
        };
    }
}
