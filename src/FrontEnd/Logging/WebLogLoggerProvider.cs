using Microsoft.Extensions.Logging;

namespace Pm.FrontEnd.Logging;

/// <summary>Kestrel's and the host's warnings and errors, as single lines in the web process's log.</summary>
internal sealed class WebLogLoggerProvider(WebLog log) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(log, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose()
    {
    }

    private sealed class Logger(WebLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var message = formatter(state, exception);
            log.Write(exception is null ? $"{category}: {message}" : $"{category}: {message}: {exception.GetType().Name}: {exception.Message}");
        }
    }
}
