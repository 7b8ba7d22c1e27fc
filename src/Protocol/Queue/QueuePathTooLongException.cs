namespace Pm.Protocol.Queue;

/// <summary>
/// The path does not fit in one queue record. A record must be a single atomic FIFO write (at most PIPE_BUF,
/// 4096 bytes), so a longer path is refused rather than truncated: a truncated path would name another app.
/// </summary>
public sealed class QueuePathTooLongException : ArgumentException
{
    public QueuePathTooLongException(int pathBytes)
        : base($"the app path is {pathBytes} bytes in UTF-8; a queue record carries at most {QueueRecordCodec.MaxPathBytes} bytes of path", "path")
    {
        PathBytes = pathBytes;
    }

    public int PathBytes { get; }
}
