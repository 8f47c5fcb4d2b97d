using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>Keeps every log line the proxy writes, so tests can assert on the exact messages.</summary>
internal sealed class LogSink : ILoggerProvider
{
    public ConcurrentQueue<LogLine> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public IEnumerable<string> Messages(int eventId) => Lines.Where(l => l.EventId == eventId).Select(l => l.Message);

    public void Dispose()
    {
    }

    private sealed class Logger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => sink.Lines.Enqueue(new LogLine(category, logLevel, eventId.Id, formatter(state, exception), exception?.ToString()));
    }
}

/// <summary>One log line; <see cref="Exception"/> is the logged exception's text (type, message, stack), when there is one.</summary>
internal sealed record LogLine(string Category, LogLevel Level, int EventId, string Message, string? Exception = null);
