namespace Pm.Tests.FrontEnd.Support;

/// <summary>The test apps' fixed pattern and checksum, computed the same way as in fcgi-test.c and the PHP scripts.</summary>
public static class Checksums
{
    /// <summary>FNV-1a, 64 bits, as lower-case hex (PHP's hash('fnv1a64')).</summary>
    public static string Fnv1a64(ReadOnlySpan<byte> bytes)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in bytes)
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }

        return hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Byte i of the apps' big responses: (i * 31 + 7) mod 256.</summary>
    public static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(((i * 31L) + 7) & 255);
        }

        return bytes;
    }

    /// <summary>Random-looking but reproducible bytes for request bodies.</summary>
    public static byte[] Body(int length, int seed = 42)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
