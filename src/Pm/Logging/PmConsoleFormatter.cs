using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Pm.Logging;

/// <summary>
/// The console format outside journald: <see cref="LogLine"/>, so the console and PmLogFile read alike. Registered
/// as an instance (no options type bound from configuration), so nothing is found by reflection.
/// </summary>
public sealed class PmConsoleFormatter(TimeProvider time, bool color) : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "pm";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }

        textWriter.Write(LogLine.Format(time.GetLocalNow(), logEntry.LogLevel, logEntry.Category, message, logEntry.Exception, color));
    }
}
