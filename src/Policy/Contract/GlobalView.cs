namespace Pm.Policy;

/// <summary>PM-wide figures a policy needs for global caps.</summary>
/// <param name="TotalDynamicInstances">
/// Live instances (starting, idle, busy and retiring) across ALL dynamic apps, not only this policy's; mod_fastcgi's
/// <c>fcgi_dynamic_total_proc_count</c>. Pending starts are not included.
/// </param>
/// <param name="CpuIdleShare">
/// The share of the machine's CPU (all cores) that was idle over about the last second, 0 to 1; null where it is
/// not known (the first moments of a PM, the simulator).
/// </param>
/// <param name="Cores">The machine's cores (what this process may run on); null where not known.</param>
public sealed record GlobalView(int TotalDynamicInstances, double? CpuIdleShare = null, int? Cores = null);
