namespace Pm.Config;

/// <summary>
/// Every option the app directives accept: mod_fastcgi 2.4.7's, with its defaults and lower bounds
/// (fcgi_config.c), and the ones Pm adds (marked Ours). The README's config reference is generated from
/// the same facts; keep the two in step.
/// </summary>
public static class OptionTable
{
    private const OptionScope S = OptionScope.Static;
    private const OptionScope E = OptionScope.External;
    private const OptionScope D = OptionScope.Dynamic;
    private const OptionScope R = OptionScope.DynamicRoot;

    /// <summary>mod_fastcgi's limit on -initial-env entries.</summary>
    public const int MaxInitialEnvironment = 64;

    public static readonly IReadOnlyList<OptionSpec> All =
    [
        new("appConnTimeout", OptionKind.Integer, S | E | D, "0", "seconds a web process waits for connect(); 0 = blocking connect. For dynamic apps also the most a request waits for a cold start before 503", Min: 0),
        new("idle-timeout", OptionKind.Integer, S | E | D, "30", "seconds without I/O from the app before the request is aborted (504)", Min: 1),
        new("flush", OptionKind.Flag, S | E | D, "off", "write the app's output to the client as it arrives, without buffering"),
        new("pass-header", OptionKind.Text, S | E | D, "", "request header passed to the app as a CGI variable even where it would be withheld (e.g. Authorization)", Repeatable: true),
        new("nph", OptionKind.Flag, S | E, "off", "the app writes a complete HTTP response (non-parsed headers)"),
        new("initial-env", OptionKind.Text, S | D, "", "NAME=value, or NAME to copy from the PM's environment: the app's ENTIRE environment (at most 64), besides LD_PRELOAD and PM_SHIM_FD of libpm-shim.so, which counts its requests", Repeatable: true),
        new("init-start-delay", OptionKind.Integer, S | D, "1", "seconds between starts of instances that never ran", Min: 0),
        new("restart-delay", OptionKind.Integer, S | D, "5", "seconds: the step and floor of a crash loop's backoff (static apps: from the 2nd failure in a row, a first one restarts at once; dynamic `-restart`: every restart)", Min: 0),
        new("min-server-life", OptionKind.Integer, S | D, "30", "seconds an instance must live to count as a success; shorter lives are failures and back off", Min: 0),
        new("listen-queue-depth", OptionKind.Integer, S | D, "100", "listen() backlog of the app's socket shared by all its instances", Min: 1, Max: 65535),
        new("processes", OptionKind.Integer, S, "1", "instances of the app", Min: 1, Max: 10000),
        new("priority", OptionKind.Integer, S, "0", "nice value of the instances (0..19)", Min: 0, Max: 19),
        new("port", OptionKind.Text, S, "", "TCP port instead of a Unix socket, on 127.0.0.1; Pm also accepts ADDRESS:PORT"),
        new("socket", OptionKind.Text, S | E, "md5 of path", "Unix socket name, relative to the IPC dir unless absolute"),
        new("host", OptionKind.Text, E, "", "HOST:PORT of an external app"),
        new("user", OptionKind.Text, S | E, "PM's user", "user the instances run as (the PM must run as root to switch)"),
        new("group", OptionKind.Text, S | E, "user's group", "group the instances run as"),

        // FastCgiConfig only (dynamic apps).
        new("maxProcesses", OptionKind.Integer, D, "50", "most dynamic instances in total", Min: 1),
        new("minProcesses", OptionKind.Integer, D, "5", "dynamic instances the classic policy keeps in total", Min: 0),
        new("maxClassProcesses", OptionKind.Integer, D, "10", "most instances of one dynamic app", Min: 1),
        new("killInterval", OptionKind.Integer, D, "300", "seconds between runs of the classic kill policy", Min: 1),
        new("updateInterval", OptionKind.Integer, D, "300", "seconds between updates of the classic load statistics", Min: 1),
        new("gainValue", OptionKind.Decimal, D, "0.5", "weight of the newest interval in the classic smoothed load", Min: 0, Max: 1),
        new("singleThreshold", OptionKind.Integer, D, "0", "classic: load % under which the last instance of an app is killed (0 = never)", Min: 0, Alias: "singleThreshhold"),
        new("multiThreshold", OptionKind.Integer, D, "50", "classic: load % under which one of several instances is killed", Min: 0, Alias: "multiThreshhold"),
        new("startDelay", OptionKind.Decimal, D, "3", "seconds a request waits for a first byte before the web process asks for another instance: decimal, e.g. 0.05 (the demand policy's default); under classic a whole number, as in mod_fastcgi (classic's and spare's default is 3)"),
        new("processSlack", OptionKind.Integer, D, "5", "classic: run the kill policy early once total + processSlack >= maxProcesses", Min: 1),
        new("restart", OptionKind.Flag, D, "off", "restart dynamic instances that exit"),
        new("autoUpdate", OptionKind.Flag, D, "off", "replace instances whose binary changed on disk, new ones first"),

        // Ours.
        new("url", OptionKind.Text, S | E, "", "URL prefix the front end routes to this app", Ours: true),
        new("document-root", OptionKind.Text, S | E, "", "directory of scripts the app runs (php-cgi): SCRIPT_FILENAME is document-root + the URL path after -url", Ours: true),
        new(DocumentRootRules.ExtensionsOption, OptionKind.Text, S | E, ".php", "with -document-root: comma-separated endings of the files that are scripts the app runs (case-sensitive), as php-fpm's security.limit_extensions; any other file never reaches the app (see *PHP behind Pm*)", Ours: true),
        new(DocumentRootRules.IndexOption, OptionKind.Text, S | E, "index.php", "with -document-root: comma-separated files tried, in order, for a URL naming a directory (403 when none exists)", Ours: true),
        new(DocumentRootRules.StaticOption, OptionKind.Text, S | E, "on", "with -document-root: on, files that are not scripts are sent as they are, with their content type; off, they are 404", Ours: true),
        new("arg", OptionKind.Text, S, "", "a command-line argument for the app (repeat for several)", Repeatable: true, Ours: true),
        new("backoff-max", OptionKind.Integer, S | D, "60", "seconds: the cap of the exponential, jittered restart backoff of a crash-looping app", Min: 1, Ours: true),
        new("policy", OptionKind.Text, D | R, "demand", "scaling policy of dynamic apps: demand, classic or spare (see src/Policy/POLICIES.md)", Ours: true),
        new("spawn-timeout", OptionKind.Decimal, S | D, "60", "seconds an instance may take to wait for work on fd 0; later it is diagnosed, its process group killed, and it counts as a failed start", Min: 0.1, Ours: true),
        new("request-timeout", OptionKind.Decimal, S | D | R, "0", "seconds a request may run: then 504 to the client, FCGI_ABORT_REQUEST to the app, and the instance holding it is diagnosed and its group killed (0 = off)", Min: 0, Ours: true),
        new("slow-log", OptionKind.Decimal, S | D | R, "0", "seconds after which a running request's instance is diagnosed into the log and left running (0 = off)", Min: 0, Ours: true),
        new("kill-grace", OptionKind.Decimal, S | D, "2", "seconds between SIGTERM and SIGKILL when an instance is killed for a limit", Min: 0, Ours: true),
        new("stuck-timeout", OptionKind.Decimal, S | D, "60", "seconds an instance may neither wait for work nor hold a request before it is diagnosed and replaced, new one first", Min: 0.1, Ours: true),
        new("diagnose-signal", OptionKind.Text, S | D, "", "signal sent to an instance before it is diagnosed, for apps that print their own backtrace on it (e.g. SIGQUIT, SIGUSR1)", Ours: true),
        new("max-requests", OptionKind.Integer, S | D | R, "0", "requests (connections taken) after which an instance is recycled: a replacement starts, and once it is ready the old one takes no more and stops when idle (0 = off)", Min: 0, Ours: true),
        new("max-requests-jitter", OptionKind.Integer, S | D | R, "0", "each instance's -max-requests is raised by 0..this many, uniformly, so a pool does not recycle at once", Min: 0, Ours: true),
        new("memory-limit", OptionKind.Text, S | D | R, "", "private memory (USS: Private_Clean + Private_Dirty of smaps_rollup, summed over the instance's process group) above which an instance is recycled: 256M, 1G (unset = off)", Ours: true),
        new("memory-check-interval", OptionKind.Decimal, S | D | R, "5", "seconds between samples of the instances' memory", Min: 0.1, Ours: true),
        new(SocketAccess.UserOption, OptionKind.Text, S | D | R, "PM's user", "owner of the app's Unix socket (name or uid; the PM must run as root to give it to another user), as php-fpm's listen.owner", Ours: true),
        new(SocketAccess.GroupOption, OptionKind.Text, S | D | R, "PM's group", "group of the app's Unix socket (name or gid; one of the PM's groups unless it runs as root), as php-fpm's listen.group: e.g. www-data for nginx", Ours: true),
        new(SocketAccess.ModeOption, OptionKind.Text, S | D | R, "0600", "octal mode of the app's Unix socket, at most 0777 (0660 when -socket-user or -socket-group is given); the owner keeps read and write. The IPC dir is opened just enough for it (see *Behind nginx and Apache*)", Ours: true),
        new("handler", OptionKind.Text, R, ".fcgi", "file extension of dynamic apps under the root (repeat for several)", Repeatable: true, Ours: true),
    ];

    public static OptionSpec? Find(string name, OptionScope scope)
    {
        foreach (var spec in All)
        {
            if ((spec.Scope & scope) != 0 &&
                (string.Equals(spec.Name, name, StringComparison.OrdinalIgnoreCase) ||
                 string.Equals(spec.Alias, name, StringComparison.OrdinalIgnoreCase)))
            {
                return spec;
            }
        }

        return null;
    }
}
