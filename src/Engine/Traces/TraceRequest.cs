namespace Pm.Engine;

/// <summary>One request of a trace.</summary>
/// <param name="Arrival">When it arrives, from the start of the trace.</param>
/// <param name="App">The app it is for.</param>
/// <param name="Service">How long an instance takes to serve it once it has it.</param>
public readonly record struct TraceRequest(TimeSpan Arrival, string App, TimeSpan Service);
