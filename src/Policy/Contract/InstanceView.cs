namespace Pm.Policy;

/// <summary>One live instance of an app.</summary>
/// <param name="InstanceId">The PM's id for the instance; unique for the PM's lifetime and increasing with spawn order.</param>
/// <param name="State">Where it is in its life.</param>
/// <param name="StartedAt">When it was spawned.</param>
/// <param name="StateSince">When it entered <paramref name="State"/> (for an idle instance: when it became idle).</param>
/// <param name="HoldsRequest">True while a request is assigned to it, including a retiring instance still draining one.</param>
/// <param name="RequestsServed">Requests it has completed.</param>
public sealed record InstanceView(
    long InstanceId,
    InstanceState State,
    DateTimeOffset StartedAt,
    DateTimeOffset StateSince,
    bool HoldsRequest,
    long RequestsServed);
