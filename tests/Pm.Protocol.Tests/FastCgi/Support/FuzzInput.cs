using CsCheck;
using Pm.Protocol.FastCgi;

namespace Pm.Protocol.Tests.FastCgi.Support;

/// <summary>
/// Generators of hostile input: plausible record streams (so that the parser gets past the header checks and
/// into the bodies and name-value pairs), then damaged by bit flips, truncation and absurd lengths.
/// </summary>
internal static class FuzzInput
{
    private static readonly Gen<byte[]> Pair =
        Gen.Select(Gen.String[Gen.Char['A', 'Z'], 0, 12], Gen.String[Gen.Char.AlphaNumeric, 0, 200])
            .Select((name, value) =>
            {
                var bytes = new byte[FastCgiNameValuePair.GetEncodedLength(name, value)];
                FastCgiNameValuePair.Write(bytes, name, value);
                return bytes;
            });

    private static readonly Gen<byte[]> PairsContent = Pair.Array[0, 6].Select(pairs => pairs.SelectMany(p => p).ToArray());

    /// <summary>Any type (including ones beyond the spec), any id 0..3, content that fits the type most of the time.</summary>
    public static readonly Gen<byte[]> Record =
        Gen.Select(Gen.Byte[1, 14], Gen.UShort[0, 3], Gen.Byte.Array[0, 300], PairsContent, Gen.Byte[0, 20], Gen.Int[0, 9])
            .Select((type, id, content, pairs, padding, fit) =>
            {
                var fixedLength = type is 1 or 3 or 11;
                var body = fit == 0 ? content
                    : fixedLength ? content.Concat(new byte[8]).Take(8).ToArray()
                    : type == 2 ? []
                    : type is 4 or 9 or 10 ? pairs
                    : content;
                if (type == 1 && fit > 0)
                {
                    // Mostly a known role, so requests start.
                    body[0] = 0;
                    body[1] = (byte)(1 + (fit % 3));
                }

                var recordId = fit == 0 ? id : type is 9 or 10 or 11 ? (ushort)0 : Math.Max((ushort)1, id);
                return Records.Raw(type, recordId, body, padding);
            });

    /// <summary>A request the way a web server sends it, so that damage hits a session in progress.</summary>
    public static readonly Gen<byte[]> Request =
        Gen.Select(Gen.UShort[1, 3], PairsContent, Gen.Byte.Array[0, 2000], Gen.Bool)
            .Select((id, pairs, body, keepConn) => Records.Encode(w =>
            {
                FastCgiRecordWriter.WriteBeginRequest(w, id, FastCgiRole.Responder, keepConn ? FastCgiBeginRequestFlags.KeepConnection : FastCgiBeginRequestFlags.None);
                FastCgiRecordWriter.WriteStream(w, FastCgiRecordType.Params, id, pairs);
                FastCgiRecordWriter.WriteEndOfStream(w, FastCgiRecordType.Params, id);
                FastCgiRecordWriter.WriteStream(w, FastCgiRecordType.Stdin, id, body);
                FastCgiRecordWriter.WriteEndOfStream(w, FastCgiRecordType.Stdin, id);
            }));

    /// <summary>A response the way an application sends it for request 1.</summary>
    public static readonly Gen<byte[]> Response =
        Gen.Select(Gen.Byte.Array[0, 3000], Gen.Byte.Array[0, 100], Gen.Int)
            .Select((stdout, stderr, status) => Records.Encode(w =>
            {
                FastCgiRecordWriter.WriteStream(w, FastCgiRecordType.Stderr, 1, stderr);
                FastCgiRecordWriter.WriteStream(w, FastCgiRecordType.Stdout, 1, stdout);
                FastCgiRecordWriter.WriteEndOfStream(w, FastCgiRecordType.Stdout, 1);
                FastCgiRecordWriter.WriteEndRequest(w, 1, status, FastCgiProtocolStatus.RequestComplete);
            }));

    /// <summary>Bit flips, a cut, or a header with an absurd length, applied to a stream.</summary>
    public static Gen<byte[]> Damaged(Gen<byte[]> stream) =>
        Gen.Select(stream, Gen.Int[0, 4], Gen.Int.Array[8], Gen.Int[0, 3])
            .Select((bytes, flips, positions, damage) =>
            {
                var damaged = bytes.ToArray();
                for (var i = 0; i < flips && damaged.Length > 0; i++)
                {
                    var position = (int)((uint)positions[i] % (uint)damaged.Length);
                    damaged[position] ^= (byte)(1 << (positions[i + 4] & 7));
                }

                return damage switch
                {
                    1 when damaged.Length > 0 => damaged[..(int)((uint)positions[0] % (uint)damaged.Length)],
                    2 => [.. damaged, 1, 5, 0, 1, 0xff, 0xff, 0xff, 0],
                    _ => damaged,
                };
            });

    /// <summary>Pure garbage, sometimes starting like a record.</summary>
    public static readonly Gen<byte[]> Garbage =
        Gen.Select(Gen.Byte.Array[0, 600], Gen.Bool).Select((bytes, recordLike) =>
        {
            if (recordLike && bytes.Length > 0)
            {
                bytes[0] = 1;
            }

            return bytes;
        });

    /// <summary>Any of the above, concatenated a few at a time.</summary>
    public static readonly Gen<byte[]> AnyStream =
        Gen.OneOf(Garbage, Damaged(Record.Array[1, 6].Select(Flatten)), Damaged(Gen.Select(Request, Record.Array[0, 3]).Select((r, more) => Flatten([r, .. more]))))
            .Array[1, 3].Select(Flatten);

    public static byte[] Flatten(byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
