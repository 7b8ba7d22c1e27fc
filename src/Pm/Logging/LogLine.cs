using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Pm.Logging;

/// <summary>
/// One line of the PM's log outside journald, the same on the console and in PmLogFile:
/// <c>2026-12-02 10:00:00.123 warn: pm message</c>. The event id that the stock simple console formatter prints
/// (<c>pm[0]</c>) is left out: the PM logs no event ids, so it was always 0 and only noise. A line stays one line
/// (newlines inside a message or an exception become spaces), so grep and tail -f see whole events.
/// </summary>
public static class LogLine
{
    public const string TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff";

    public static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    /// <param name="color">ANSI colour on the level, for a terminal (never in a file).</param>
    public static string Format(DateTimeOffset time, LogLevel level, string category, string? message, Exception? exception, bool color = false)
    {
        var sb = new StringBuilder(64 + (message?.Length ?? 0));
        sb.Append(time.ToString(TimestampFormat, CultureInfo.InvariantCulture)).Append(' ');
        var (start, end) = color ? Colors(level) : ("", "");
        sb.Append(start).Append(Level(level)).Append(end).Append(": ").Append(category);
        if (!string.IsNullOrEmpty(message))
        {
            sb.Append(' ');
            AppendOneLine(sb, message);
        }

        if (exception is not null)
        {
            sb.Append(' ');
            AppendOneLine(sb, exception.ToString());
        }

        return sb.Append('\n').ToString();
    }

    private static void AppendOneLine(StringBuilder sb, string text)
    {
        foreach (var c in text)
        {
            sb.Append(c is '\n' or '\r' ? ' ' : c);
        }
    }

    private static (string Start, string End) Colors(LogLevel level) => level switch
    {
        LogLevel.Warning => ("\x1b[1m\x1b[33m", "\x1b[39m\x1b[22m"),
        LogLevel.Error => ("\x1b[30m\x1b[41m", "\x1b[39m\x1b[49m"),
        LogLevel.Critical => ("\x1b[1m\x1b[37m\x1b[41m", "\x1b[39m\x1b[22m\x1b[49m"),
        LogLevel.Information => ("\x1b[32m", "\x1b[39m"),
        _ => ("", ""),
    };
}
