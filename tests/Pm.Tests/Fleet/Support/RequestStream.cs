using System.Net;

namespace Pm.Tests.Fleet.Support;

/// <summary>
/// A steady stream of GET requests through the load balancer: <c>concurrency</c> loops, each sending its next request
/// when the last is answered, every request with a timeout of its own. Each answer is recorded in the order answers
/// came: its status, the host nginx says answered (the last address of its X-Pm-Upstream header), or what failed.
/// </summary>
public sealed class RequestStream : IAsyncDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private readonly HttpClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Answer> _answers = [];
    private readonly Task[] _loops;

    /// <summary>One request's end: <see cref="Failure"/> is null for a 200 with its body.</summary>
    public sealed record Answer(int Sequence, string? Upstream, string? Failure);

    public RequestStream(Uri target, int concurrency)
    {
        _client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = RequestTimeout };
        _loops = Enumerable.Range(0, concurrency).Select(_ => Task.Run(() => LoopAsync(target))).ToArray();
    }

    public int Count
    {
        get
        {
            lock (_answers)
            {
                return _answers.Count;
            }
        }
    }

    public IReadOnlyList<Answer> Answers
    {
        get
        {
            lock (_answers)
            {
                return _answers.ToList();
            }
        }
    }

    private async Task LoopAsync(Uri target)
    {
        while (!_stop.IsCancellationRequested)
        {
            string? upstream = null;
            string? failure = null;
            try
            {
                // Not cancelled by _stop: a request begun is answered or fails on its own, and is recorded either way.
                using var response = await _client.GetAsync(target);
                var body = await response.Content.ReadAsStringAsync();
                upstream = response.Headers.TryGetValues("X-Pm-Upstream", out var values)
                    ? values.Single().Split(',').Select(a => a.Trim()).Last()
                    : null;
                if (response.StatusCode != HttpStatusCode.OK || !body.Contains("Hello from Pm", StringComparison.Ordinal))
                {
                    failure = $"{(int)response.StatusCode} from {upstream ?? "nginx"}: {body[..Math.Min(body.Length, 200)]}";
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                failure = $"{e.GetType().Name}: {e.Message}";
            }

            lock (_answers)
            {
                _answers.Add(new Answer(_answers.Count, upstream, failure));
            }
        }
    }

    /// <summary>Stops sending: the requests in flight finish (or fail) and are recorded.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _client.Dispose();
        _stop.Dispose();
    }
}
