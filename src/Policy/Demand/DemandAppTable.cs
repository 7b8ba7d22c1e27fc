namespace Pm.Policy;

/// <summary>The demand policy's memory of its apps between evaluations, by app id.</summary>
internal sealed class DemandAppTable
{
    private readonly DemandPolicyOptions _options;
    private readonly Dictionary<string, DemandApp> _apps = new(StringComparer.Ordinal);

    public DemandAppTable(DemandPolicyOptions options) => _options = options;

    public bool Contains(string appId) => _apps.ContainsKey(appId);

    public DemandApp GetOrCreate(string appId)
    {
        if (!_apps.TryGetValue(appId, out var app))
        {
            app = new DemandApp(appId, _options);
            _apps.Add(appId, app);
        }

        return app;
    }

    /// <summary>Forgets the apps the PM no longer lists.</summary>
    public void RetainOnly(IReadOnlyList<AppView> apps)
    {
        foreach (var id in _apps.Keys.ToList())
        {
            if (!apps.Any(a => a.AppId == id))
            {
                _apps.Remove(id);
            }
        }
    }
}
