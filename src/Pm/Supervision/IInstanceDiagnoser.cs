namespace Pm.Supervision;

/// <summary>
/// Takes a diagnosis of an instance's process group before it is killed, or for the slow log: what each process is
/// doing (state, wchan, syscall, stacks, CPU, memory, connections) and, where a debugger is installed, a backtrace
/// of every thread. Runs off the supervisor loop (a backtrace can take seconds); the real one is
/// <c>Pm.Diagnosis.ProcDiagnoser</c>, in-memory tests give their own.
/// </summary>
public interface IInstanceDiagnoser
{
    Task<DiagnosisOutcome> DiagnoseAsync(DiagnosisInput input, CancellationToken cancel);

    /// <summary>CPU time of every process of each of <paramref name="groups"/>, now, by process group then pid (one pass over /proc).</summary>
    IReadOnlyDictionary<int, IReadOnlyDictionary<int, TimeSpan>> CpuOfGroups(IReadOnlySet<int> groups);

    /// <summary>
    /// Memory of each of <paramref name="groups"/>, summed over its processes (smaps_rollup): RSS, PSS and private
    /// (USS, what -memory-limit judges: copy-on-write pages still shared with a preloading parent count in nobody's),
    /// and their CPU time; a group with no process left is left out.
    /// </summary>
    IReadOnlyDictionary<int, Diagnosis.GroupUsage> UsageOfGroups(IReadOnlySet<int> groups);
}

/// <param name="HeldFor">How long it has held the request it is diagnosed for; null when it holds none (spawn, stuck).</param>
/// <param name="CpuBaseline">CPU time per pid of its group when it was last seen waiting for work, at <paramref name="BaselineAt"/>.</param>
/// <param name="Signal">-diagnose-signal, sent to the group first.</param>
public sealed record DiagnosisInput(string App, int Pid, int ProcessGroup, string Reason, TimeSpan? HeldFor,
    IReadOnlyDictionary<int, TimeSpan>? CpuBaseline, DateTimeOffset? BaselineAt, int? Signal);

/// <param name="Block">The whole diagnosis, for the log, as one block.</param>
/// <param name="Summary">One line, for `pm status APP`.</param>
public sealed record DiagnosisOutcome(string Block, string Summary);
