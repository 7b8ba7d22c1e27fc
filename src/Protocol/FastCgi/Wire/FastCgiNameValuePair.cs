using System.Buffers.Binary;
using System.Text;

namespace Pm.Protocol.FastCgi;

/// <summary>
/// The name-value pair encoding of PARAMS, GET_VALUES and GET_VALUES_RESULT (spec §3.4). Each length is one
/// byte when it is below 128, else four bytes with the top bit set:
/// <code>
///   typedef struct {
///       unsigned char nameLengthB0;    // nameLengthB0  >> 7 == 0
///       unsigned char valueLengthB0;   // valueLengthB0 >> 7 == 0
///       unsigned char nameData[nameLength];
///       unsigned char valueData[valueLength];
///   } FCGI_NameValuePair11;
///
///   typedef struct {
///       unsigned char nameLengthB3;    // nameLengthB3  >> 7 == 1
///       unsigned char nameLengthB2;
///       unsigned char nameLengthB1;
///       unsigned char nameLengthB0;    // nameLength = ((B3 &amp; 0x7f) &lt;&lt; 24) + (B2 &lt;&lt; 16) + (B1 &lt;&lt; 8) + B0
///       unsigned char valueLengthB3;   // likewise for the value (pairs 14, 41 and 44 mix the two forms)
///       ...
///   } FCGI_NameValuePair44;
/// </code>
/// A sender may use the 4-byte form for short lengths too; the reader accepts both.
/// </summary>
public static class FastCgiNameValuePair
{
    /// <summary>The largest length the encoding can carry.</summary>
    public const int MaxLength = int.MaxValue;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>
    /// Reads one pair from the front of <paramref name="source"/>, which must hold whole pairs (a PARAMS stream
    /// is collected before it is parsed). Lengths are checked against <paramref name="limits"/> and against the
    /// bytes left before anything is sliced.
    /// </summary>
    /// <returns>Bytes the pair occupies.</returns>
    /// <exception cref="FastCgiProtocolException">Truncated pair or a length over a limit.</exception>
    public static int Read(ReadOnlySpan<byte> source, FastCgiLimits limits, out Range name, out Range value)
    {
        var offset = 0;
        var nameLength = ReadLength(source, ref offset);
        var valueLength = ReadLength(source, ref offset);
        if (nameLength > limits.MaxNameLength)
        {
            throw new FastCgiProtocolException(FastCgiErrorKind.NameTooLong, $"name of {nameLength} bytes, limit {limits.MaxNameLength}");
        }

        if (valueLength > limits.MaxValueLength)
        {
            throw new FastCgiProtocolException(FastCgiErrorKind.ValueTooLong, $"value of {valueLength} bytes, limit {limits.MaxValueLength}");
        }

        // Both lengths are below 2^31, so their sum cannot overflow a long.
        if ((long)nameLength + valueLength > source.Length - offset)
        {
            throw new FastCgiProtocolException(
                FastCgiErrorKind.MalformedNameValuePair,
                $"pair of {nameLength}+{valueLength} bytes with only {source.Length - offset} bytes left");
        }

        name = new Range(offset, offset + nameLength);
        value = new Range(offset + nameLength, offset + nameLength + valueLength);
        return offset + nameLength + valueLength;
    }

    private static int ReadLength(ReadOnlySpan<byte> source, ref int offset)
    {
        if (offset >= source.Length)
        {
            throw new FastCgiProtocolException(FastCgiErrorKind.MalformedNameValuePair, "name-value pair cut inside its lengths");
        }

        var b = source[offset];
        if (b < 0x80)
        {
            offset++;
            return b;
        }

        if (source.Length - offset < 4)
        {
            throw new FastCgiProtocolException(FastCgiErrorKind.MalformedNameValuePair, "name-value pair cut inside a 4-byte length");
        }

        var length = (int)(BinaryPrimitives.ReadUInt32BigEndian(source[offset..]) & 0x7FFF_FFFF);
        offset += 4;
        return length;
    }

    /// <summary>Bytes a length takes: 1 below 128, else 4.</summary>
    public static int LengthOfLength(int length) => length < 0x80 ? 1 : 4;

    /// <summary>Bytes the pair takes once encoded.</summary>
    public static int GetEncodedLength(int nameBytes, int valueBytes) =>
        LengthOfLength(nameBytes) + LengthOfLength(valueBytes) + nameBytes + valueBytes;

    /// <summary>Bytes <paramref name="name"/> and <paramref name="value"/> take as UTF-8 pair.</summary>
    public static int GetEncodedLength(string name, string value) =>
        GetEncodedLength(Utf8.GetByteCount(name), Utf8.GetByteCount(value));

    /// <summary>Writes one length in the shortest form; returns the bytes written.</summary>
    public static int WriteLength(Span<byte> destination, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length < 0x80)
        {
            destination[0] = (byte)length;
            return 1;
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)length | 0x8000_0000u);
        return 4;
    }

    /// <summary>Encodes a pair of raw byte strings; returns the bytes written.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var offset = WriteLength(destination, name.Length);
        offset += WriteLength(destination[offset..], value.Length);
        name.CopyTo(destination[offset..]);
        offset += name.Length;
        value.CopyTo(destination[offset..]);
        return offset + value.Length;
    }

    /// <summary>Encodes a pair as UTF-8; returns the bytes written. <paramref name="destination"/> must be large enough.</summary>
    public static int Write(Span<byte> destination, string name, string value)
    {
        var nameBytes = Utf8.GetByteCount(name);
        var valueBytes = Utf8.GetByteCount(value);
        var offset = WriteLength(destination, nameBytes);
        offset += WriteLength(destination[offset..], valueBytes);
        offset += Utf8.GetBytes(name, destination[offset..]);
        offset += Utf8.GetBytes(value, destination[offset..]);
        return offset;
    }

    internal static string Decode(ReadOnlySpan<byte> bytes) => Utf8.GetString(bytes);

    internal static int GetByteCount(string s) => Utf8.GetByteCount(s);

    internal static int Encode(string s, Span<byte> destination) => Utf8.GetBytes(s, destination);
}
