using System.Net.Sockets;
using System.Text;

namespace Pm.Hosting;

/// <summary>
/// sd_notify(3) without libsystemd: one datagram per message to $NOTIFY_SOCKET (a path, or "@name" for an abstract
/// socket), as a Type=notify unit expects: READY=1, RELOADING=1, STOPPING=1, STATUS=..., WATCHDOG=1. Does nothing
/// when the variable is not set (not under systemd). The core sends them, not the watchdog systemd started, so the
/// unit needs NotifyAccess=all (packaging/pm.service has it). Thread-safe; a failed send is reported once and the
/// notifier goes quiet rather than disturb the PM.
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    /// <summary>The variables the PM reads from systemd; removed from what the web processes inherit.</summary>
    public static readonly string[] Variables = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"];

    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _target;
    private readonly Action<string> _warn;
    private readonly Lock _gate = new();
    private bool _failed;

    public SystemdNotifier(Action<string> warn)
    {
        _warn = warn;
        var path = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        _target = new UnixDomainSocketEndPoint(path[0] == '@' ? "\0" + path[1..] : path);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        if (long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), out var usec) && usec > 0)
        {
            WatchdogInterval = TimeSpan.FromTicks(usec * 10);
        }
    }

    /// <summary>Whether the PM runs under systemd's notify protocol.</summary>
    public bool Active => _socket is not null;

    /// <summary>WatchdogSec= of the unit (from WATCHDOG_USEC); null when systemd does not watch.</summary>
    public TimeSpan? WatchdogInterval { get; }

    /// <summary>Sends one message (lines NAME=value); false when not under systemd or the send failed.</summary>
    public bool Send(string message)
    {
        if (_socket is null || _target is null)
        {
            return false;
        }

        lock (_gate)
        {
            if (_failed)
            {
                return false;
            }

            try
            {
                _socket.SendTo(Encoding.UTF8.GetBytes(message), SocketFlags.None, _target);
                return true;
            }
            catch (SocketException ex)
            {
                _failed = true;
                _warn($"systemd: cannot notify {Environment.GetEnvironmentVariable("NOTIFY_SOCKET")} ({ex.Message}); no more notifications");
                return false;
            }
        }
    }

    /// <summary>STATUS= carries one line: newlines are replaced.</summary>
    public static string Status(string text) => "STATUS=" + text.Replace('\n', ' ');

    public void Dispose() => _socket?.Dispose();
}
