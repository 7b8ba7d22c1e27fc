using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Pm.Tests.Fixtures;
using Pm.Tests.FrontEnd.Support;

namespace Pm.Tests.FrontEnd;

/// <summary>
/// TLS on the HTTP listener (`PmListen PORT -cert F -key F`): a real `pm serve` with a self-signed certificate made
/// here, HTTP/2 negotiated through ALPN (and refused with -http2 off), the app's answer passed through either way.
/// </summary>
public sealed class TlsTests
{
    [Fact(Timeout = 60_000)]
    public async Task TlsListener_ServesHttp2AndHttp11_WithTheConfiguredCertificate()
    {
        using var dir = new TestDirectory();
        var (certFile, keyFile, thumbprint) = SelfSigned(dir);
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {app} -processes 1 -url /t", $"-cert {certFile} -key {keyFile}");
        string? presented = null;
        using var client = Client(server.Port, thumbprint, seen => presented = seen);

        using var http2 = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/t?mode=env") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact });
        using var http11 = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/t?mode=env") { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact });

        http2.StatusCode.Should().Be(HttpStatusCode.OK);
        http2.Version.Should().Be(HttpVersion.Version20);
        (await http2.Content.ReadAsStringAsync()).Should().Contain("SERVER_PROTOCOL=HTTP/2");
        http11.StatusCode.Should().Be(HttpStatusCode.OK);
        http11.Version.Should().Be(HttpVersion.Version11);
        presented.Should().Be(thumbprint);
        server.Pm.Lines.Should().Contain(l => l.Contains($"serving https://127.0.0.1:{server.Port}/ (HTTP/1.1 and HTTP/2)", StringComparison.Ordinal));
    }

    [Fact(Timeout = 60_000)]
    public async Task TlsListener_WithHttp2Off_RefusesHttp2_AndServesHttp11()
    {
        using var dir = new TestDirectory();
        var (certFile, keyFile, thumbprint) = SelfSigned(dir);
        var app = dir.Link("fcgi-test", FrontEndApps.FcgiTest);
        await using var server = await FrontEndServer.StartAsync(dir, $"FastCgiServer {app} -processes 1 -url /t", $"-cert {certFile} -key {keyFile} -http2 off");
        using var client = Client(server.Port, thumbprint, _ => { });

        var http2 = () => client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/t") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact });
        using var http11 = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/t") { Version = HttpVersion.Version11 });

        await http2.Should().ThrowAsync<HttpRequestException>("ALPN offers only http/1.1");
        http11.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    private static HttpClient Client(int port, string thumbprint, Action<string> seen) =>
        new(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                // The test's own self-signed certificate: trusted by its thumbprint, nothing else.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    var presented = certificate is null ? "" : new X509Certificate2(certificate).Thumbprint;
                    seen(presented);
                    return presented == thumbprint;
                },
            },
        })
        {
            BaseAddress = new Uri($"https://127.0.0.1:{port}"),
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary>A self-signed certificate for 127.0.0.1 and localhost, as PEM files: the certificate and its PKCS#8 key.</summary>
    internal static (string Certificate, string Key, string Thumbprint) SelfSigned(TestDirectory dir)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certFile = dir.Write("server.crt", certificate.ExportCertificatePem() + "\n");
        var keyFile = dir.Write("server.key", key.ExportPkcs8PrivateKeyPem() + "\n");
        return (certFile, keyFile, certificate.Thumbprint);
    }
}
