namespace Pm.Status;

/// <summary>
/// An app's recent past, as the status page charts it: samples every <see cref="SampleSeconds"/> over the last
/// <see cref="SpanSeconds"/>, oldest first, and what was done to its instances in that time, oldest first.
/// </summary>
public sealed record AppHistoryReport(double SpanSeconds, double SampleSeconds, IReadOnlyList<HistorySample> Samples, IReadOnlyList<HistoryEvent> Events);
