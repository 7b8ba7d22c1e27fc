using Pm.Config;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd;

namespace Pm.Tests.Config;

/// <summary>PmListen's TLS options: what is kept, and each wrong use named by file and line.</summary>
public sealed class TlsConfigTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private PmConfig Parse(string text) => ConfigParser.ParseText(_dir.File("pm.conf"), text);

    private ConfigError Error(string text)
    {
        var act = () => Parse(text);
        return act.Should().Throw<ConfigException>().Which.Errors.Should().ContainSingle().Subject;
    }

    [Fact]
    public void PmListen_WithCertAndKey_IsTls_WithHttp2ByDefault_AndRelativePathsFromTheConfigsDirectory()
    {
        TlsTests.SelfSigned(_dir);

        var tls = Parse("PmListen 8443 -cert server.crt -key server.key").FrontEnd.Tls;
        var off = Parse("PmListen 8443 -cert server.crt -key server.key -http2 off").FrontEnd.Tls;

        tls!.CertificateFile.Should().Be(_dir.File("server.crt"));
        tls.KeyFile.Should().Be(_dir.File("server.key"));
        tls.Http2.Should().BeTrue();
        off!.Http2.Should().BeFalse();
        Parse("PmListen 8080").FrontEnd.Tls.Should().BeNull();
    }

    [Theory]
    [InlineData("PmListen 8443 -cert server.crt", "-cert needs -key")]
    [InlineData("PmListen 8443 -key server.key", "-key needs -cert")]
    [InlineData("PmListen 8443 -cert missing.crt -key server.key", "missing.crt does not exist")]
    [InlineData("PmListen 8443 -cert server.crt -key server.key -http2 maybe", "-http2 takes on or off")]
    [InlineData("PmListen 8443 -http2 on", "-http2 on needs TLS")]
    [InlineData("PmListen 8443 -ssl on", "unknown option '-ssl'")]
    [InlineData("PmListen 8443 -cert", "-cert needs a value")]
    [InlineData("PmListen -cert server.crt", "takes [ADDRESS:]PORT")]
    public void PmListen_WrongTlsOptions_AreErrorsOnItsLine(string line, string message)
    {
        TlsTests.SelfSigned(_dir);

        var error = Error("# TLS\n" + line);

        error.Line.Should().Be(2);
        error.Directive.Should().Be("PmListen");
        error.Message.Should().Contain(message);
    }

    [Fact]
    public void PmListen_KeyOfAnotherCertificate_OrAFileThatIsNotPem_IsAnError()
    {
        var (cert, _, _) = TlsTests.SelfSigned(_dir);
        var otherKey = _dir.Write("other.key", System.Security.Cryptography.ECDsa.Create().ExportPkcs8PrivateKeyPem());
        _dir.Write("junk.crt", "not a certificate\n");

        Error($"PmListen 8443 -cert {cert} -key {otherKey}").Message.Should().Contain("cannot use -cert").And.Contain("other.key");
        Error($"PmListen 8443 -cert junk.crt -key {otherKey}").Message.Should().Contain("junk.crt");
    }

    [Fact]
    public void Reload_AfterTheCertificateWasRenewedInPlace_RollsTheWebProcesses()
    {
        TlsTests.SelfSigned(_dir);
        const string Text = "PmListen 8443 -cert server.crt -key server.key";
        var running = Parse(Text);
        File.SetLastWriteTimeUtc(_dir.File("server.crt"), DateTime.UtcNow.AddMinutes(1));

        ConfigChanges.Between(running, Parse(Text)).WebChanged.Should().BeTrue("the web processes load the renewed certificate when they start");
        ConfigChanges.Between(running, running).WebChanged.Should().BeFalse();
    }

    [Fact]
    public void PmListen_GivenTwice_IsAnError()
    {
        Error("PmListen 8080\nPmListen 8081").Message.Should().Contain("given more than once");
    }
}
