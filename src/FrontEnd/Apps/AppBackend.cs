using System.Net;
using Pm.Config;
using Pm.FrontEnd.Logging;

namespace Pm.FrontEnd.Apps;

/// <summary>
/// A FastCGI app as the front end sees it: where it listens, how to talk to it (-appConnTimeout, -idle-timeout,
/// -flush, -pass-header), where it is mounted, and its connection pool. Static, external and dynamic apps alike.
/// </summary>
public sealed class AppBackend : IAsyncDisposable
{
    public AppBackend(string name, AppAddress address, RequestSettings settings, string? urlPrefix, string? documentRoot,
        string ipcDir, TimeProvider time, WebLog log, DocumentRootRules? documentRootRules = null)
    {
        Name = name;
        Address = address;
        Settings = settings;
        UrlPrefix = urlPrefix;
        DocumentRoot = documentRoot;
        DocumentRootRules = documentRootRules ?? DocumentRootRules.Default;
        DocumentRootReal = documentRoot is null ? null : Posix.RealPath.Of(documentRoot) ?? documentRoot;
        IpcDir = ipcDir;
        EndPoint = address.ToEndPoint();
        ListenerNames = address.SocketPath is { } path
            ? new HashSet<string>(StringComparer.Ordinal) { path, path + IpcLayout.TemporarySuffix }
            : null;
        Time = time;
        Pool = new AppConnectionPool(this, time, log);
    }

    /// <summary>The app's path: its name in every log line.</summary>
    public string Name { get; }

    public AppAddress Address { get; }

    public EndPoint EndPoint { get; }

    /// <summary>The names the kernel may report for the app's listening Unix socket (the PM binds under a temporary name, then renames); null for TCP.</summary>
    internal IReadOnlySet<string>? ListenerNames { get; }

    public RequestSettings Settings { get; }

    /// <summary>Where a request past its limits is reported: a static app's queue records; null for external apps (and dynamic ones, whose requests report themselves).</summary>
    internal Proxy.IOverdueReports? Overdue { get; set; }

    /// <summary>The URL prefix it is mounted at (static and external apps); null for dynamic apps.</summary>
    public string? UrlPrefix { get; }

    /// <summary>-document-root: the directory of scripts the app runs (php-cgi).</summary>
    public string? DocumentRoot { get; }

    /// <summary>-extensions, -index, -static: what a URL under the document root leads to (the defaults without a document root).</summary>
    public DocumentRootRules DocumentRootRules { get; }

    /// <summary>The document root with symbolic links resolved, to check scripts against.</summary>
    internal string? DocumentRootReal { get; }

    internal string IpcDir { get; }

    public AppConnectionPool Pool { get; }

    /// <summary>The clock of the request limits (-request-timeout, -slow-log).</summary>
    internal TimeProvider Time { get; }

    private int _scoreboardIndex = -2;

    /// <summary>The app's record in this web process's scoreboard, looked up once; -1 when the scoreboard is full.</summary>
    internal int ScoreboardIndex(Scoreboard.WebScoreboard board)
    {
        var index = Volatile.Read(ref _scoreboardIndex);
        if (index == -2)
        {
            index = board.AppIndex(Name);
            Volatile.Write(ref _scoreboardIndex, index);
        }

        return index;
    }

    public ValueTask DisposeAsync() => Pool.DisposeAsync();

    public override string ToString() => $"{Name} at {Address}";
}
