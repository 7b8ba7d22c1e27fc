namespace Pm.Config;

/// <summary>
/// Every directive Pm reads, for the README's config reference and the man page (both generated from this, see
/// <see cref="ConfigReference"/>); a test checks that it names every directive the parser has a handler for.
/// </summary>
public static class DirectiveTable
{
    public static readonly IReadOnlyList<DirectiveSpec> All =
    [
        new("FastCgiServer PATH [options]", "a static app: started with the PM, always restarted", "AppClass"),
        new("FastCgiExternalServer PATH -host H:P|-socket S [options]", "an app running elsewhere; PATH is its name", "ExternalAppClass"),
        new("FastCgiConfig [options]", "the settings of every dynamic app (once)", "FCGIConfig"),
        new("FastCgiIpcDir DIR", "sockets, queue and control socket; 0700 unless sockets need more, and in DIR/pm-UID when DIR exists and Pm did not create it (see *Behind nginx and Apache*). Default `/run/pm` as root, else `$XDG_RUNTIME_DIR/pm` or `/tmp/pm-UID`"),
        new("FastCgiWrapper On|Off|PATH", "run apps as `wrapper user group basename`, as mod_fastcgi does (suexec)"),
        new("PmDynamicRoot URL DIR [options]", "executables under DIR with a handler extension are dynamic apps at URL", Ours: true),
        new("PmListen [ADDRESS:]PORT", "where `pm serve` listens for HTTP (default 127.0.0.1:8080)", Ours: true),
        new("PmWebProcesses N", "web processes of `pm serve` (default: the number of cores)", Ours: true),
        new("PmShutdownTimeout SECONDS", "grace between SIGTERM and SIGKILL, at shutdown and for a group's leftovers (default 5)", Ours: true),
        new("PmQueueGroup GROUP", "a group allowed to write the queue (web processes running as another user)", Ours: true),
        new("PmLogFile PATH", "the PM's log (its own lines and those of its apps and web processes) also goes to this file, appended, created 0640; SIGUSR1 reopens it, for logrotate. A reload cannot change it", Ours: true),
    ];
}
