using System.Globalization;

namespace Pm.Engine;

/// <summary>
/// Writes the trace format read by <see cref="TraceReader"/>. The PM records a real trace with
/// <see cref="WriteCompletion"/> from its C records: arrival = completion - queue time - service time.
/// Thread-safe; each request is one line written under a lock.
/// </summary>
public sealed class TraceWriter : IDisposable
{
    private readonly TextWriter _writer;
    private readonly bool _ownsWriter;
    private readonly object _gate = new();
    private DateTimeOffset? _origin;

    /// <param name="writer">Where the lines go.</param>
    /// <param name="origin">
    /// Time zero for <see cref="WriteCompletion"/>; null takes the first recorded arrival. Arrivals before the origin
    /// are written as 0.
    /// </param>
    /// <param name="ownsWriter">Dispose <paramref name="writer"/> with this.</param>
    /// <param name="description">Extra comment lines for the header (each written as "# line").</param>
    public TraceWriter(TextWriter writer, DateTimeOffset? origin = null, bool ownsWriter = false, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        _origin = origin;
        _ownsWriter = ownsWriter;
        _writer.Write("# pm trace v1: seconds since trace start, app (',' '%' '#', control characters and spaces at either end as %XX), service time in ms\n");
        foreach (var line in (description ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            _writer.Write("# " + line.TrimEnd('\r') + "\n");
        }

        if (origin is { } o)
        {
            _writer.Write($"# origin {o.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}\n");
        }

        _writer.Write("seconds,app,service_ms\n");
    }

    public static TraceWriter Create(string path, DateTimeOffset? origin = null) =>
        new(new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false)), origin, ownsWriter: true);

    /// <summary>Writes a whole trace, in arrival order.</summary>
    public static void WriteTrace(TextWriter writer, Trace trace, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(trace);
        using var traceWriter = new TraceWriter(writer, description: description);
        foreach (var request in trace.Requests)
        {
            traceWriter.Write(request.Arrival, request.App, request.Service);
        }
    }

    /// <summary>Writes a request by its arrival time relative to the trace start.</summary>
    public void Write(TimeSpan arrival, string app, TimeSpan service)
    {
        ArgumentException.ThrowIfNullOrEmpty(app);
        ArgumentOutOfRangeException.ThrowIfLessThan(service, TimeSpan.Zero);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{Math.Max(0, arrival.TotalSeconds):0.000000},{AppField.Encode(app)},{service.TotalMilliseconds:0.###}\n");
        if (System.Text.Encoding.UTF8.GetByteCount(line) > TraceReader.MaxLineBytes)
        {
            throw new ArgumentException($"the app id is too long for a trace line ({TraceReader.MaxLineBytes} bytes)", nameof(app));
        }

        lock (_gate)
        {
            _writer.Write(line);
        }
    }

    /// <summary>Records a completed request from its C record.</summary>
    public void WriteCompletion(string app, DateTimeOffset completedAt, TimeSpan queueTime, TimeSpan serviceTime)
    {
        var arrival = completedAt - queueTime - serviceTime;
        TimeSpan relative;
        lock (_gate)
        {
            _origin ??= arrival;
            relative = arrival - _origin.Value;
        }

        Write(relative < TimeSpan.Zero ? TimeSpan.Zero : relative, app, serviceTime);
    }

    public void Flush()
    {
        lock (_gate)
        {
            _writer.Flush();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _writer.Flush();
            if (_ownsWriter)
            {
                _writer.Dispose();
            }
        }
    }
}
