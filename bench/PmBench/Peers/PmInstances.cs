using System.Text.Json;
using Pm.Control;
using Pm.Status;

namespace Pm.Bench.Peers;

/// <summary>
/// How many instances a running PM has of one app, read from its status report (the control socket pm.sock in the
/// IPC dir, the JSON `pm status --json` prints), and a sampler that keeps the highest count seen while a load runs.
/// </summary>
public static class PmInstances
{
    public static async Task<int> CountAsync(string ipcDir, string app, CancellationToken cancel)
    {
        var json = await ControlClient.SendAsync(Path.Combine(ipcDir, "pm.sock"), "status", TimeSpan.FromSeconds(5));
        cancel.ThrowIfCancellationRequested();
        var report = JsonSerializer.Deserialize(json, StatusJsonContext.Default.StatusReport)!;
        return report.Apps.FirstOrDefault(a => a.Name == app)?.Instances.Count ?? 0;
    }

    /// <summary>Samples every 100 ms until <paramref name="stop"/> is cancelled; returns the highest count.</summary>
    public static async Task<int> MaxWhileAsync(string ipcDir, string app, CancellationToken stop)
    {
        var max = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                max = Math.Max(max, await CountAsync(ipcDir, app, stop));
                await Task.Delay(100, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (IOException)
            {
                await Task.Delay(100, CancellationToken.None); // not answering yet
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(100, CancellationToken.None);
            }
        }

        return max;
    }
}
