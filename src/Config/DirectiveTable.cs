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
        new("PmListen [ADDRESS:]PORT [-cert FILE -key FILE] [-http2 on|off]", "where `pm serve` listens for HTTP (default 127.0.0.1:8080); with `-cert` and `-key` (PEM: the certificate, then any chain, and its private key) it is HTTPS, with HTTP/2 offered through ALPN unless `-http2 off`. The files are checked by `pm check-config` and loaded by each web process when it starts, so `pm reload` takes up a renewed certificate without a dropped request", Ours: true),
        new("PmFastCgiListen unix:PATH|[ADDRESS:]PORT [-socket-user U] [-socket-group G] [-socket-mode M]", "where `pm serve`'s web processes also accept FastCGI from nginx or Apache (the dispatcher; off by default); a Unix socket is 0660 unless the three options say otherwise", Ours: true),
        new("PmStatusListen unix:PATH|[ADDRESS:]PORT [-socket-user U] [-socket-group G] [-socket-mode M]", "where `pm serve`'s web processes serve the status page (`/`, `/?json`) and Prometheus metrics (`/metrics`), and nothing else (off by default); a port without an address is 127.0.0.1 only, a Unix socket 0660 unless the three options say otherwise. A reload cannot change it", Ours: true),
        new("PmStatusPage URL-PATH", "the status page also on the public HTTP listener, at URL-PATH (`?json` there too), its metrics at URL-PATH/metrics (`/metrics` for `/`); without it the public listener serves no status", Ours: true),
        new("PmWebProcesses N", "web processes of `pm serve` (default: the number of cores)", Ours: true),
        new("PmShutdownTimeout SECONDS", "grace between SIGTERM and SIGKILL, at shutdown and for a group's leftovers (default 5)", Ours: true),
        new("PmQueueGroup GROUP", "a group allowed to write the queue (web processes running as another user)", Ours: true),
        new("PmServerName NAME", "SERVER_NAME for every app, as nginx's `server_name` (default: the request's Host)", Ours: true),
        new("PmRequestBodyBuffer SIZE", "how much of a request body without a length (chunked) is held in memory before it goes to a temporary file (default 1M, at most 64M)", Ours: true),
        new("PmRequestBodyMax SIZE", "the largest request body, chunked or not: 413 past it, as nginx's `client_max_body_size` (default 1G; 0 = no limit)", Ours: true),
        new("Alias URL PATH", "Apache's: PATH a FastCgiServer/FastCgiExternalServer path mounts the app at URL; a directory holding one, or one a fastcgi handler covers, mounts it (see *Pasting an Apache config*)"),
        new("ScriptAlias URL PATH", "Apache's: as Alias; a directory it names runs the fastcgi handlers given server-wide"),
        new("AddHandler fastcgi-script .EXT ...", "Apache's: in `<Directory D>` (or server-wide, for ScriptAlias'd directories) makes D a dynamic root for those extensions; `fcgid-script` alike"),
        new("SetHandler fastcgi-script", "Apache's: in `<Directory>` or `<Location>`, every file there is a dynamic app"),
        new("AddType TYPE .EXT", "Apache's: with `Action TYPE /URL-of-an-app`, mounts that app with the directory as `-document-root`"),
        new("Action TYPE-OR-HANDLER URL", "Apache's: see AddType"),
        new("Options [+-]ExecCGI ...", "Apache's: ExecCGI lets a server-wide AddHandler apply to an Alias'd directory; the rest is a notice"),
        new("DocumentRoot DIR", "Apache's: gives a URL to apps and handler directories under DIR that no Alias mounts"),
        new("PmLogFile PATH", "the PM's log (its own lines and those of its apps and web processes) also goes to this file, appended, created 0640; SIGUSR1 reopens it, for logrotate. A reload cannot change it", Ours: true),
    ];
}
