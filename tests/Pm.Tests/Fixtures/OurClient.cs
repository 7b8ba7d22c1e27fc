using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using Pm.Protocol.FastCgi;

namespace Pm.Tests.Fixtures;

/// <summary>One FastCGI request with Pm's own client library, as the web processes send them.</summary>
public static class OurClient
{
    public static async Task<string> GetAsync(string socketPath, string scriptName = "/", string query = "", TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        await using var connection = await FastCgiClientConnection.ConnectAsync(new UnixDomainSocketEndPoint(socketPath),
            new FastCgiClientOptions { KeepConnection = false }, cts.Token);
        await using var request = await connection.BeginRequestAsync(
        [
            new("REQUEST_METHOD", "GET"),
            new("SCRIPT_NAME", scriptName),
            new("QUERY_STRING", query),
            new("SERVER_PROTOCOL", "HTTP/1.1"),
            new("GATEWAY_INTERFACE", "CGI/1.1"),
        ], null, cts.Token);
        var output = new StringBuilder();
        while (true)
        {
            var read = await request.Output.ReadAsync(cts.Token);
            foreach (var segment in read.Buffer)
            {
                output.Append(Encoding.UTF8.GetString(segment.Span));
            }

            request.Output.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                break;
            }
        }

        var result = await request.Completion;
        result.IsComplete.Should().BeTrue($"the app ended the request with {result.ProtocolStatus}");
        return output.ToString();
    }
}
