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
    private int? _webProcesses;
    private TimeSpan? _shutdown;

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
            _wrapper = w.ToLowerInvariant() switch
            {
                "off" => null,
                "on" => "/usr/lib/apache2/suexec",
                _ => Resolve(w),
            };
            if (_wrapper is not null && !Posix.UserDatabase.CanExecute(_wrapper))
            {
                Error(d, $"wrapper '{_wrapper}' is not an executable file");
            }
        }
    }

    private void ReadListen(Directive d)
    {
        _listen = Single(d, _listen, "[ADDRESS:]PORT");
        _listenDirective ??= d;
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

    private FrontEndConfig BuildFrontEnd()
    {
        var host = "127.0.0.1";
        var port = 8080;
        if (_listen is not null && ParseTcp(_listenDirective!, "PmListen", _listen, "127.0.0.1") is { } address)
        {
            (host, port) = (address.Host!, address.Port);
        }

        return new FrontEndConfig(host, port, _webProcesses ?? System.Environment.ProcessorCount, _serverName,
            _bodyBuffer ?? FrontEndConfig.DefaultBodyBuffer, _bodyMax ?? FrontEndConfig.DefaultBodyMax);
    }
}
