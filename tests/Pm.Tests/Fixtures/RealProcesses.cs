namespace Pm.Tests.Fixtures;

/// <summary>
/// Tests that start real PMs and apps run one at a time: on 2 cores, parallel process storms make timing-based
/// expectations (a replacement within a few ms) meaningless.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealProcesses
{
    public const string Name = "real processes";
}
