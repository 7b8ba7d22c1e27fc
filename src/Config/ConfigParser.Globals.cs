namespace Pm.Config;

/// <summary>The global directives: where the IPC dir is, the wrapper, and Pm's own settings of the PM and the front end.</summary>
public sealed partial class ConfigParser
{
    private string? _ipcDirGiven;
    private string _ipcDir = "";
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

    /// <summary>The IPC dir given, or the default; either must leave room for the socket paths inside it.</summary>
    private void SettleIpcDir()
    {
        _ipcDir = _ipcDirGiven ?? IpcLayout.DefaultDirectory();
        if (!IpcLayout.FitsSocketPath(IpcLayout.DynamicSocket(_ipcDir, "x")))
        {
            _errors.Add(new ConfigError(_file, 0, "FastCgiIpcDir", $"'{_ipcDir}' is too long for Unix socket paths inside it (at most {IpcLayout.MaxSocketPathBytes - 45} bytes)"));
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

        return new FrontEndConfig(host, port, _webProcesses ?? System.Environment.ProcessorCount);
    }
}
