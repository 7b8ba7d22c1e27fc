using System.Net.Sockets;

namespace Pm.Protocol.Tests.Peers.Support;

internal static class Listeners
{
    /// <summary>A listening Unix socket, bound before the peer starts, so connections queue in its backlog: no readiness race.</summary>
    public static Socket Unix(string path, int backlog = 64)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen(backlog);
        return socket;
    }

    /// <summary>Completes when <paramref name="path"/> exists (inotify through FileSystemWatcher, plus a first look).</summary>
    public static async Task WaitForFileAsync(string path, TimeSpan timeout)
    {
        using var watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path));
        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.Created += (_, _) => created.TrySetResult();
        watcher.Renamed += (_, _) => created.TrySetResult();
        watcher.EnableRaisingEvents = true;
        if (!File.Exists(path))
        {
            await created.Task.WaitAsync(timeout);
        }
    }
}
