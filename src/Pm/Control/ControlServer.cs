using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Pm.Status;

namespace Pm.Control;

/// <summary>
/// The PM's control socket (pm.sock in the IPC dir, mode 0600): a client sends one command line and reads one
/// JSON reply, then the connection closes. Commands: <c>status</c>; <c>reload</c>, <c>restart APP</c> and <c>stop</c>,
/// answered {"result": "..."} or {"error": "..."}. Usable from scripts with socat or nc -U.
/// It serves the contract in Pm.Control (the same <see cref="ControlClient"/> and <see cref="StatusReport"/> the CLI
/// and the web processes use) and asks the supervisor for the report through a delegate, so nothing here depends on
/// the supervision.
/// </summary>
public sealed class ControlServer : IAsyncDisposable
{
    private const int MaxCommandBytes = 1024;

    private readonly Socket _listener;
    private readonly string _path;
    private readonly Func<Task<StatusReport>> _queryStatus;
    private readonly Func<string, Task<string>>? _command;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    /// <param name="queryStatus">Asks the supervisor loop for a report (it answers on the loop, in turn with other events).</param>
    /// <param name="command">Carries out reload, restart APP and stop: its answer starting "error:" is sent as an error.</param>
    public ControlServer(string path, Func<Task<StatusReport>> queryStatus, ILogger log, Func<string, Task<string>>? command = null)
    {
        _path = path;
        _queryStatus = queryStatus;
        _command = command;
        _log = log;
        if (Posix.PosixFile.StatPathNoFollow(path) is { Kind: Posix.FileKind.Socket })
        {
            File.Delete(path);
        }

        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _listener.Listen(16);
        _accepting = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                _log.LogWarning("control socket: accept failed: {Error}", ex.Message);
                continue;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                var command = await ReadLineAsync(client, timeout.Token).ConfigureAwait(false);
                var reply = command switch
                {
                    "status" => JsonSerializer.Serialize(await _queryStatus().WaitAsync(timeout.Token).ConfigureAwait(false), StatusJsonContext.Default.StatusReport),
                    null => """{"error":"no command"}""",
                    "reload" or "stop" or ['r', 'e', 's', 't', 'a', 'r', 't', ' ', ..] when _command is not null =>
                        Answer(await _command(command).WaitAsync(timeout.Token).ConfigureAwait(false)),
                    _ => Answer($"error: unknown command '{command}' (known: status, reload, restart APP, stop)"),
                };
                await client.SendAsync(Encoding.UTF8.GetBytes(reply + "\n"), timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException)
            {
                _log.LogDebug("control socket: client went away: {Error}", ex.Message);
            }
        }
    }

    private static string Answer(string text) => JsonSerializer.Serialize(
        new Dictionary<string, string> { [text.StartsWith("error: ", StringComparison.Ordinal) ? "error" : "result"] = text.StartsWith("error: ", StringComparison.Ordinal) ? text[7..] : text },
        StatusJsonContext.Default.ErrorReply);

    private static async Task<string?> ReadLineAsync(Socket client, CancellationToken ct)
    {
        var buffer = new byte[MaxCommandBytes];
        var count = 0;
        while (count < buffer.Length)
        {
            var n = await client.ReceiveAsync(buffer.AsMemory(count), ct).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            count += n;
            var newline = Array.IndexOf(buffer, (byte)'\n', 0, count);
            if (newline >= 0)
            {
                return Encoding.UTF8.GetString(buffer, 0, newline).Trim();
            }
        }

        return count == 0 ? null : Encoding.UTF8.GetString(buffer, 0, count).Trim();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
        }

        _stop.Dispose();
    }
}
