namespace Pm.Tests.Fleet.Support;

/// <summary>
/// A fact that needs network namespaces (`ip netns add`: root and iproute2). Where they cannot be made it is skipped,
/// saying why, unless PM_TEST_NETNS=required (scripts/test.sh sets it: CI runs as root), which makes it run and fail
/// there instead. xunit 2 decides skips at discovery, hence an attribute.
/// </summary>
public sealed class NetnsFactAttribute : FactAttribute
{
    public NetnsFactAttribute()
    {
        if (NetworkNamespaces.WhyUnavailable is { } why && !Required)
        {
            Skip = $"{why} (PM_TEST_NETNS=required makes this a failure)";
        }
    }

    public static bool Required => Environment.GetEnvironmentVariable("PM_TEST_NETNS") == "required";
}
