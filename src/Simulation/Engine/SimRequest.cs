using Pm.Engine;
namespace Pm.Simulation;

/// <summary>A trace request inside a run.</summary>
internal sealed class SimRequest(TraceRequest source, SimApp app)
{
    public TimeSpan Arrival { get; } = source.Arrival;

    public TimeSpan Service { get; } = source.Service;

    public SimApp App { get; } = app;

    /// <summary>Its place in the app's queue while it waits; null once taken or rejected.</summary>
    public LinkedListNode<SimRequest>? Waiting { get; set; }

    /// <summary>When an instance took it.</summary>
    public TimeSpan? Started { get; set; }

    public bool Done { get; set; }
}
