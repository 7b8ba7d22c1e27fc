using Pm.Tests.Fixtures;

namespace Pm.Tests.FrontEnd.Support;

/// <summary>The front end's C test app (tests/Pm.Tests/Apps/fcgi-test.c), compiled once per test run.</summary>
public static class FrontEndApps
{
    private static readonly Lazy<string> FcgiTestBuilt = new(() => NativeApps.Compile("tests/Pm.Tests/Apps/fcgi-test.c", "fcgi-test", "-lfcgi"));

    /// <summary>The libfcgi test responder; see the modes in its source.</summary>
    public static string FcgiTest => FcgiTestBuilt.Value;

    public const string PhpCgi = "/usr/bin/php-cgi";
}
