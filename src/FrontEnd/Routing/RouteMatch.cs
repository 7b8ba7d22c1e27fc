namespace Pm.FrontEnd.Routing;

/// <summary>The result of routing one path: its kind and, for apps and dynamic roots, the mount.</summary>
public readonly record struct RouteMatch(RouteKind Kind, Mount? Mount);
