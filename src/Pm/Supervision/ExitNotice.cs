using Pm.Posix;

namespace Pm.Supervision;

/// <summary>What the child watcher learnt when it reaped a child: its status, or why there was none.</summary>
public sealed record ExitNotice(WaitStatus? Status, string? Error);
