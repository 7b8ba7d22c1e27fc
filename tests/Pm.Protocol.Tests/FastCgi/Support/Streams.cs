using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;

namespace Pm.Protocol.Tests.FastCgi.Support;

/// <summary>Reading whole pipes in tests, with the upper bound applied.</summary>
internal static class Streams
{
    public static async Task<byte[]> ReadAllAsync(PipeReader reader)
    {
        var output = new ArrayBufferWriter<byte>();
        while (true)
        {
            var result = await reader.ReadAsync().AsTask().WaitAsync(TestTimeouts.Operation);
            foreach (var segment in result.Buffer)
            {
                output.Write(segment.Span);
            }

            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return output.WrittenSpan.ToArray();
            }
        }
    }

    public static async Task<string> ReadAllTextAsync(PipeReader reader) => System.Text.Encoding.UTF8.GetString(await ReadAllAsync(reader));

    /// <summary>Reads to the end, keeping only the length and a SHA-256, so huge streams need no memory.</summary>
    public static async Task<(long Length, string Sha256)> DigestAsync(PipeReader reader)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long length = 0;
        while (true)
        {
            var result = await reader.ReadAsync().AsTask().WaitAsync(TestTimeouts.Operation);
            foreach (var segment in result.Buffer)
            {
                hash.AppendData(segment.Span);
                length += segment.Length;
            }

            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return (length, Convert.ToHexString(hash.GetHashAndReset()));
            }
        }
    }

    /// <summary>Deterministic pseudo-random bytes.</summary>
    public static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes));
}
