using System.Diagnostics;
using Pm.Posix;

namespace Pm.Bench.Peers;

/// <summary>
/// Writes every config of the peers benchmark into its work dir (kept after the run, for inspection) and makes the
/// recipes of the stacks it starts. The apps are the same binaries everywhere: libfcgi hello-c (and slow-c, 50 ms per
/// request) under pm and under mod_fcgid; php-fpm runs only PHP, so it gets the PHP equivalents, hello.php and
/// slow.php (usleep(50000)). Every front end is single-process where the row compares one of ours with one of theirs.
/// </summary>
public sealed class PeerSetup
{
    public const int PoolInstances = 8;
    public const int RestartApps = 5;

    public PeerSetup(string dir)
    {
        Dir = dir;
        Logs = Directory.CreateDirectory(Path.Combine(dir, "logs")).FullName;
        Hello = BenchEnvironment.BuildHelloC(dir);
        Slow = BenchEnvironment.BuildSlowC(dir);
        DynamicRoot = Directory.CreateDirectory(Path.Combine(dir, "fcgi-bin")).FullName;
        File.Copy(Hello, Path.Combine(DynamicRoot, "hello.fcgi"), true);
        File.Copy(Slow, Path.Combine(DynamicRoot, "slow.fcgi"), true);
        PhpRoot = Directory.CreateDirectory(Path.Combine(dir, "php")).FullName;
        File.WriteAllText(Path.Combine(PhpRoot, "hello.php"), "<?php\necho 'Hello from php-fpm, pid ', getmypid(), \", request\\n\";\n");
        File.WriteAllText(Path.Combine(PhpRoot, "slow.php"), "<?php\nusleep(50000);\necho 'slept 50 ms in pid ', getmypid(), \",\\n\";\n");
    }

    public string Dir { get; }

    public string Logs { get; }

    public string Hello { get; }

    public string Slow { get; }

    public string DynamicRoot { get; }

    public string PhpRoot { get; }

    /// <summary>/usr/sbin/php-fpmX.Y, if the php-fpm package is installed.</summary>
    public static string? PhpFpm => DebianPackage.IsInstalled("php-fpm")
        ? Directory.EnumerateFiles("/usr/sbin", "php-fpm*").OrderByDescending(f => f, StringComparer.Ordinal).FirstOrDefault()
        : null;

    public static bool HasApacheFcgid => DebianPackage.IsInstalled("apache2") && DebianPackage.IsInstalled("libapache2-mod-fcgid")
        && File.Exists("/usr/lib/apache2/modules/mod_fcgid.so");

    public static bool HasNginx => File.Exists(Nginx.Path);

    /// <summary>`pm serve` with 8 static hello-c instances at /hello; <paramref name="web"/> web processes (null: the default, one per core).</summary>
    public StackRecipe PmServeStatic(int? web)
    {
        var name = web is null ? "pm-serve-static" : $"pm-serve-static-{web}web";
        var port = BenchEnvironment.FreePort();
        var config = WritePmConfig(name, $"""
            PmListen 127.0.0.1:{port}
            {(web is null ? "" : $"PmWebProcesses {web}")}
            FastCgiServer {Hello} -socket hello -processes {PoolInstances} -url /hello -listen-queue-depth 1024
            """);
        return new(name, port, "/hello", [PmStep("serve", config)], config);
    }

    /// <summary>`pm serve` with the dynamic root /fcgi-bin/ (hello.fcgi, slow.fcgi), demand policy with its defaults: each app starts on its first request.</summary>
    public StackRecipe PmServeDynamic(int? web, string app = "hello.fcgi")
    {
        var name = (web is null ? "pm-serve-dynamic" : $"pm-serve-dynamic-{web}web") + "-" + Path.GetFileNameWithoutExtension(app);
        var port = BenchEnvironment.FreePort();
        var config = WritePmConfig(name, $"""
            PmListen 127.0.0.1:{port}
            {(web is null ? "" : $"PmWebProcesses {web}")}
            PmDynamicRoot /fcgi-bin/ {DynamicRoot}
            """);
        return new(name, port, "/fcgi-bin/" + app, [PmStep("serve", config)], config);
    }

    /// <summary>The static app's socket of a <see cref="PmServeStatic"/> or <see cref="NginxOnPmRunPool"/> stack, and the PM's control socket.</summary>
    public string IpcDir(StackRecipe recipe) => Path.Combine(Dir, "ipc-" + recipe.Name);

    /// <summary>`pm run` with the same 8 hello-c instances, and nginx with ONE worker in front of their socket.</summary>
    public StackRecipe NginxOnPmRunPool()
    {
        const string name = "nginx-pm-run-pool";
        var port = BenchEnvironment.FreePort();
        var config = WritePmConfig(name, $"""
            FastCgiServer {Hello} -socket hello -processes {PoolInstances} -listen-queue-depth 1024
            """);
        var socket = Path.Combine(Dir, "ipc-" + name, "hello");
        var nginx = Nginx.WriteConfig(Path.Combine(Dir, name), port, 1, Nginx.FastCgiLocation("/hello", socket));
        return new(name, port, "/hello",
            [PmStep("run", config) with { ThenWaitFor = socket }, new("nginx", Nginx.Path, Nginx.Arguments(nginx), Signals.SIGTERM)],
            $"{config}, {nginx}");
    }

    /// <summary>
    /// apache2 (mpm_event, Debian's compiled-in defaults) in the foreground with mod_fcgid: hello.fcgi under
    /// /fcgi-bin/ with SetHandler fcgid-script, started by mod_fcgid on its first request. Apache refuses to serve as
    /// root, so its children (and mod_fcgid's apps) run as www-data; the directories they use are made theirs.
    /// </summary>
    public StackRecipe ApacheFcgid()
    {
        const string name = "apache2-mod-fcgid";
        var port = BenchEnvironment.FreePort();
        var root = Directory.CreateDirectory(Path.Combine(Dir, name)).FullName;
        var bin = Directory.CreateDirectory(Path.Combine(root, "htdocs", "fcgi-bin")).FullName;
        File.Copy(Hello, Path.Combine(bin, "hello.fcgi"), true);
        Directory.CreateDirectory(Path.Combine(root, "run"));
        Directory.CreateDirectory(Path.Combine(root, "fcgid"));
        var user = Environment.UserName == "root" ? "User www-data\nGroup www-data" : "";
        var config = Path.Combine(root, "apache2.conf");
        File.WriteAllText(config, $"""
            ServerRoot {root}
            ServerName 127.0.0.1
            Listen 127.0.0.1:{port}
            PidFile {root}/run/httpd.pid
            DefaultRuntimeDir {root}/run
            ErrorLog {root}/error.log
            LogLevel warn
            {user}
            LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
            LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
            LoadModule fcgid_module /usr/lib/apache2/modules/mod_fcgid.so
            FcgidIPCDir {root}/fcgid
            FcgidProcessTableFile {root}/run/fcgid_shm
            DocumentRoot {root}/htdocs
            <Directory {bin}>
                SetHandler fcgid-script
                Options +ExecCGI
                Require all granted
            </Directory>
            """);
        if (Environment.UserName == "root")
        {
            Run("chown", "-R", "www-data:www-data", Path.Combine(root, "fcgid"), Path.Combine(root, "run"));
        }

        return new(name, port, "/fcgi-bin/hello.fcgi",
            [new("apache2", "/usr/sbin/apache2", ["-f", config, "-DFOREGROUND"], Signals.SIGTERM)], config);
    }

    /// <summary>php-fpm, pm = ondemand (up to 64 children, 10 s idle timeout), behind nginx with ONE worker: /hello.php, /slow.php.</summary>
    public StackRecipe PhpFpmOndemand()
    {
        const string name = "php-fpm-ondemand";
        var port = BenchEnvironment.FreePort();
        var (config, socket) = WritePhpFpmConfig(name, """
            pm = ondemand
            pm.max_children = 64
            pm.process_idle_timeout = 10s
            """);
        var nginx = Nginx.WriteConfig(Path.Combine(Dir, name, "nginx"), port, 1, Nginx.FastCgiLocation(@"~ \.php$", socket, PhpRoot));
        return new(name, port, "/hello.php",
            [PhpFpmStep(config) with { ThenWaitFor = socket }, new("nginx", Nginx.Path, Nginx.Arguments(nginx), Signals.SIGTERM)],
            $"{config}, {nginx}");
    }

    /// <summary>php-fpm alone, pm = static with one child, for the restart row (it respawns a child that dies).</summary>
    public (StackRecipe Recipe, string Socket) PhpFpmStatic()
    {
        const string name = "php-fpm-static";
        var (config, socket) = WritePhpFpmConfig(name, """
            pm = static
            pm.max_children = 1
            """);
        return (new(name, 0, "", [PhpFpmStep(config) with { ThenWaitFor = socket }], config), socket);
    }

    /// <summary>`pm run` with <see cref="RestartApps"/> static hello-c apps of one instance each, every option at its default.</summary>
    public (StackRecipe Recipe, string[] Sockets) PmRunRestart()
    {
        const string name = "pm-run-restart";
        var apps = Enumerable.Range(0, RestartApps).Select(i =>
        {
            var copy = Path.Combine(Dir, $"hello{i}");
            File.Copy(Hello, copy, true);
            return $"FastCgiServer {copy} -socket hello{i}";
        });
        var config = WritePmConfig(name, string.Join("\n", apps));
        var ipc = Path.Combine(Dir, "ipc-" + name);
        var sockets = Enumerable.Range(0, RestartApps).Select(i => Path.Combine(ipc, $"hello{i}")).ToArray();
        return (new(name, 0, "", [PmStep("run", config) with { ThenWaitFor = sockets[^1] }], config), sockets);
    }

    private string WritePmConfig(string name, string body)
    {
        var config = Path.Combine(Dir, name + ".conf");
        File.WriteAllText(config, $"FastCgiIpcDir {Path.Combine(Dir, "ipc-" + name)}\n{body}\n");
        return config;
    }

    private static StackStep PmStep(string command, string config) =>
        new("pm", BenchEnvironment.Pm, [command, config], Signals.SIGTERM);

    private (string Config, string Socket) WritePhpFpmConfig(string name, string processManager)
    {
        var root = Directory.CreateDirectory(Path.Combine(Dir, name)).FullName;
        var config = Path.Combine(root, "php-fpm.conf");
        var socket = Path.Combine(root, "php-fpm.sock");
        var user = Environment.UserName;
        File.WriteAllText(config, $"""
            [global]
            pid = {root}/php-fpm.pid
            error_log = {root}/error.log
            daemonize = no
            [www]
            user = {user}
            group = {user}
            listen = {socket}
            {processManager}
            """ + "\n");
        return (config, socket);
    }

    private static StackStep PhpFpmStep(string config) =>
        new("php-fpm", PhpFpm!, ["--nodaemonize", "--allow-to-run-as-root", "--fpm-config", config], Signals.SIGTERM);

    private static void Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { UseShellExecute = false })!;
        p.WaitForExit();
    }
}
