using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;

namespace Pm.Hosting;

/// <summary>
/// SIGTERM, SIGINT, SIGQUIT and SIGHUP stop the PM gracefully. .NET 10 installs no SIGTERM handler of its own, and the
/// empty host builder registers no console lifetime, so without this a SIGTERM would kill the PM outright and leave
/// every app running. The handler only asks the host to stop; the shutdown itself runs in the hosted services.
/// </summary>
public sealed class ShutdownSignals : IDisposable
{
    private readonly PosixSignalRegistration[] _registrations;

    public ShutdownSignals(IHostApplicationLifetime lifetime)
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Handle),
            // SIGHUP's default action would kill the PM and leave its apps: a graceful stop for now. Its watchdog
            // forwards it when the terminal did not hang up; it becomes a reload later (issue 9).
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, Handle),
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
