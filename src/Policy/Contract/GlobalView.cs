namespace Pm.Policy;

/// <summary>PM-wide figures a policy needs for global caps.</summary>
/// <param name="TotalDynamicInstances">
/// Live instances (starting, idle, busy and retiring) across ALL dynamic apps, not only this policy's; mod_fastcgi's
/// <c>fcgi_dynamic_total_proc_count</c>. Pending starts are not included.
/// </param>
public sealed record GlobalView(int TotalDynamicInstances);
