using System.Globalization;

namespace Portico.Health;

/// <summary>
/// What an active probe got, in a few words for the log line that reports a destination's
/// change of state: the status, or why there was none (refused, unreachable, no answer in time),
/// never a stack trace: a dead destination is an operating condition, not a fault of Portico.
/// </summary>
internal static class ProbeOutcome
{
    public static string Describe(HttpResponseMessage? response, Exception? error, TimeSpan timeout) => (response, error) switch
    {
        ({ } r, _) => ((int)r.StatusCode).ToString(CultureInfo.InvariantCulture),
        (_, OperationCanceledException) => $"no answer within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s",
        (_, { } e) => FirstLine(e.Message),
        _ => "no response",
    };

    private static string FirstLine(string message)
    {
        var end = message.AsSpan().IndexOfAny('\r', '\n');
        return end < 0 ? message : message[..end];
    }
}
