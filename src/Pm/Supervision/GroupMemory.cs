namespace Pm.Supervision;

/// <summary>
/// An instance's memory, summed over its process group: resident (RSS), proportional (PSS: shared pages divided
/// among their sharers) and private (USS: Private_Clean + Private_Dirty, the pages no other process maps). Private
/// is what -memory-limit judges: copy-on-write pages still shared with a preloading parent, and shared libraries,
/// count in RSS for every sharer but in nobody's private memory.
/// </summary>
public readonly record struct GroupMemory(long RssBytes, long PssBytes, long PrivateBytes);
