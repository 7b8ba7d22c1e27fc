using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;

namespace Pm.Hosting;

/// <summary>
/// SIGTERM, SIGINT and SIGQUIT stop the PM gracefully; SIGHUP reloads its config where the host has a reload (the
/// PM's), and stops it otherwise (a web process: the PM replaces those). .NET 10 installs no SIGTERM handler of its own, and the
/// empty host builder registers no console lifetime, so without this a SIGTERM would kill the PM outright and leave
/// every app running. The handler only asks the host to stop; the shutdown itself runs in the hosted services.
/// </summary>
public sealed class ShutdownSignals : IDisposable
{
    private readonly PosixSignalRegistration[] _registrations;

    public ShutdownSignals(IHostApplicationLifetime lifetime, Action? reload = null)
    {
        _registrations =
        [
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
