using Microsoft.Extensions.Logging;

namespace Pm.Logging;

/// <summary>
/// Every line the PM logs (its own, and those it relays from apps and web processes), also into PmLogFile, in the
/// console's format with a timestamp even under journald (a file has no journal to add one). The host's level filters
/// apply to this provider as to the console's.
/// </summary>
public sealed class LogFileLoggerProvider(LogFile file, TimeProvider time) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(file, time, categoryName);

    /// <summary>The file is the caller's (RunCommand's): it outlives the host, so the host's last lines get written.</summary>
    public void Dispose()
    {
    }

    private sealed class Logger(LogFile file, TimeProvider time, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var message = formatter(state, exception);
            if (string.IsNullOrEmpty(message) && exception is null)
            {
                return;
            }

            file.Write(LogLine.Format(time.GetLocalNow(), logLevel, category, message, exception));
        }
    }
}
