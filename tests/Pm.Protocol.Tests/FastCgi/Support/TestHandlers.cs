using System.IO.Pipelines;
using System.Text;
using Pm.Protocol.FastCgi;

namespace Pm.Protocol.Tests.FastCgi.Support;

/// <summary>Request handlers the pair tests run in the server.</summary>
internal static class TestHandlers
{
    /// <summary>Answers "NAME=value" lines for every parameter, then "stdin=N".</summary>
    public static async ValueTask<int> EchoAsync(FastCgiServerRequest request)
    {
        var stdinLength = await CountAsync(request.Stdin);
        var text = new StringBuilder();
        foreach (var (name, value) in request.Params)
        {
            text.Append(name).Append('=').Append(value).Append('\n');
        }

        text.Append("stdin=").Append(stdinLength).Append('\n');
        await request.Stdout.WriteAsync(Encoding.UTF8.GetBytes(text.ToString()));
        return 0;
    }

    public static async Task<long> CountAsync(PipeReader reader)
    {
        long total = 0;
        while (true)
        {
            var result = await reader.ReadAsync();
            total += result.Buffer.Length;
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return total;
            }
        }
    }

    public static IReadOnlyList<KeyValuePair<string, string>> Params(params (string Name, string Value)[] pairs) =>
        pairs.Select(p => new KeyValuePair<string, string>(p.Name, p.Value)).ToList();
}
