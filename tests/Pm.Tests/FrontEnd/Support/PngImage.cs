using System.Buffers.Binary;
using System.IO.Compression;

namespace Pm.Tests.FrontEnd.Support;

/// <summary>
/// A PNG decoded far enough to look at its pixels: 8-bit RGB or RGBA, not interlaced (what Chromium's screenshots
/// are). The chunks are read by length (IHDR, IDAT, IEND), the IDAT data inflated (zlib) and each scanline's
/// filter (None, Sub, Up, Average, Paeth; RFC 2083 §6) undone.
/// </summary>
public sealed class PngImage
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a];

    private readonly byte[] _pixels;

    private PngImage(int width, int height, int channels, byte[] pixels)
    {
        Width = width;
        Height = height;
        Channels = channels;
        _pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    public int Channels { get; }

    /// <summary>The pixel at (x, y) as 0xRRGGBB (alpha dropped).</summary>
    public int Rgb(int x, int y)
    {
        var i = ((y * Width) + x) * Channels;
        return (_pixels[i] << 16) | (_pixels[i + 1] << 8) | _pixels[i + 2];
    }

    /// <summary>How many distinct colours the image has, up to <paramref name="enough"/> (it stops counting there).</summary>
    public int Colours(int enough)
    {
        var seen = new HashSet<int>();
        for (var y = 0; y < Height && seen.Count < enough; y++)
        {
            for (var x = 0; x < Width && seen.Count < enough; x++)
            {
                seen.Add(Rgb(x, y));
            }
        }

        return seen.Count;
    }

    public static PngImage Read(byte[] file)
    {
        if (file.Length < Signature.Length || !file.AsSpan(0, Signature.Length).SequenceEqual(Signature))
        {
            throw new InvalidDataException("not a PNG: the signature is missing");
        }

        int width = 0, height = 0, channels = 0;
        using var compressed = new MemoryStream();
        var at = Signature.Length;
        while (at + 12 <= file.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            var type = System.Text.Encoding.ASCII.GetString(file, at + 4, 4);
            if (length < 0 || at + 12 + length > file.Length)
            {
                throw new InvalidDataException($"PNG chunk {type} at byte {at} runs past the end of the file");
            }

            var data = file.AsSpan(at + 8, length);
            switch (type)
            {
                case "IHDR":
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    (var depth, var colour, var interlace) = (data[8], data[9], data[12]);
                    channels = colour switch { 2 => 3, 6 => 4, _ => 0 };
                    if (depth != 8 || channels == 0 || interlace != 0)
                    {
                        throw new InvalidDataException($"PNG of bit depth {depth}, colour type {colour}, interlace {interlace}: only 8-bit RGB or RGBA, not interlaced, is read here");
                    }

                    break;
                case "IDAT":
                    compressed.Write(data);
                    break;
            }

            at += 12 + length;
            if (type == "IEND")
            {
                break;
            }
        }

        if (width <= 0 || height <= 0)
        {
            throw new InvalidDataException("PNG without an IHDR chunk");
        }

        compressed.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }

        var raw = inflated.GetBuffer();
        var stride = width * channels;
        if (inflated.Length < (long)(stride + 1) * height)
        {
            throw new InvalidDataException($"PNG data is {inflated.Length} bytes, {(long)(stride + 1) * height} expected for {width} × {height}");
        }

        var pixels = new byte[stride * height];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            var line = raw.AsSpan((y * (stride + 1)) + 1, stride);
            var output = pixels.AsSpan(y * stride, stride);
            var previous = y > 0 ? pixels.AsSpan((y - 1) * stride, stride) : [];
            for (var i = 0; i < stride; i++)
            {
                int left = i >= channels ? output[i - channels] : 0;
                int up = y > 0 ? previous[i] : 0;
                int upLeft = y > 0 && i >= channels ? previous[i - channels] : 0;
                output[i] = (byte)(line[i] + filter switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    4 => Paeth(left, up, upLeft),
                    _ => throw new InvalidDataException($"PNG scanline {y} has filter type {filter}"),
                });
            }
        }

        return new PngImage(width, height, channels, pixels);
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var (pa, pb, pc) = (Math.Abs(p - a), Math.Abs(p - b), Math.Abs(p - c));
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
