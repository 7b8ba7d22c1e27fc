using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;

namespace Pm.Hosting;

/// <summary>
/// SIGTERM, SIGINT and SIGQUIT stop the PM gracefully; SIGHUP reloads its config where the host has a reload (the
/// PM's), and stops it otherwise (a web process: the PM replaces those). SIGUSR1 (logrotate's "reopen your logs")
/// reopens PmLogFile where the host has one, and is logged and changes nothing otherwise; SIGUSR2 is logged and
/// changes nothing. Every other catchable signal whose
/// default would end the process (<see cref="Posix.Signals.OtherTerminating"/>) is logged and stops it as SIGTERM
/// does, so none ends the PM without its apps. .NET 10 installs no SIGTERM handler of its own, and the
/// empty host builder registers no console lifetime, so without this a SIGTERM would kill the PM outright and leave
/// every app running. The handler only asks the host to stop; the shutdown itself runs in the hosted services.
/// </summary>
public sealed class ShutdownSignals : IDisposable
{
    private readonly PosixSignalRegistration[] _registrations;

    /// <param name="say">Where the line saying what a signal did goes (the PM's log).</param>
    /// <param name="reopen">What SIGUSR1 does: reopen PmLogFile (it says itself how that went); null when there is none.</param>
    public ShutdownSignals(IHostApplicationLifetime lifetime, Action? reload = null, Action<string>? say = null, Action? reopen = null)
    {
        say ??= _ => { };
        var others = Posix.Signals.OtherTerminating.Select(signal => PosixSignalRegistration.Create((PosixSignal)signal, context =>
        {
            context.Cancel = true;
            say($"{Posix.Signals.Name(signal)}: stopping, as on SIGTERM");
            lifetime.StopApplication();
        }));
        _registrations =
        [
            .. others,
            PosixSignalRegistration.Create((PosixSignal)Posix.Signals.SIGUSR1, context =>
            {
                context.Cancel = true;
                if (reopen is not null)
                {
                    reopen();
                    return;
                }

                say("SIGUSR1: nothing to reopen: no PmLogFile, the PM logs to its stdout and stderr only (rotate them where they are written, e.g. journald)");
            }),
            PosixSignalRegistration.Create((PosixSignal)Posix.Signals.SIGUSR2, context =>
            {
                context.Cancel = true;
                say("SIGUSR2: ignored (SIGHUP or `pm reload` reloads the config)");
            }),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Handle),
            // SIGHUP's default action would kill the PM and leave its apps. The watchdog forwards it when the
            // terminal did not hang up (a hangup stops the core instead), so here it is a reload.
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                if (reload is null)
                {
                    Handle(context);
                    return;
                }

                context.Cancel = true;
                reload();
            }),
        ];

        void Handle(PosixSignalContext context)
        {
            context.Cancel = true;
            lifetime.StopApplication();
        }
    }

    public void Dispose()
    {
        foreach (var r in _registrations)
        {
            r.Dispose();
        }
    }
}
