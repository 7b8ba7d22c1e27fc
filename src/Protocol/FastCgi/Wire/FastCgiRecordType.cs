namespace Pm.Protocol.FastCgi;

/// <summary>
/// Record types of FastCGI 1.0 (spec §8). Values 1..11 are defined; anything else is a type this
/// implementation does not understand and is answered with <see cref="UnknownType"/> when it arrives as a
/// management record.
/// </summary>
public enum FastCgiRecordType : byte
{
    BeginRequest = 1,
    AbortRequest = 2,
    EndRequest = 3,
    Params = 4,
    Stdin = 5,
    Stdout = 6,
    Stderr = 7,
    Data = 8,
    GetValues = 9,
    GetValuesResult = 10,
    UnknownType = 11,
}
