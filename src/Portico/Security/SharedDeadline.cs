namespace Portico.Security;

/// <summary>
/// A timeout shared by every wait that begins in the same second: each second's waits get one
/// token, cancelled <c>after</c> plus up to one second from when they began. A wait that needs
/// its own timer only as a backstop (a client that never sends its first byte) costs no timer,
/// no CancellationTokenSource and no registration list of its own: on an HTTPS listener one of
/// each was made and torn down for nearly every new connection (issue 25: about 460 bytes and
/// two updates of the runtime's timer queue per TLS connection).
/// </summary>
/// <remarks>
/// A source is never disposed: its one timer fires and leaves the runtime's timer queue, and the
/// source goes once no wait holds its token. One source a second at most.
/// </remarks>
internal sealed class SharedDeadline(TimeSpan after, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly long _ticksPerSecond = time.TimestampFrequency;
    private Current? _current;

    /// <summary>A token cancelled no sooner than the timeout from now, and at most a second later.</summary>
    public CancellationToken Token()
    {
        var second = time.GetTimestamp() / _ticksPerSecond;
        if (Volatile.Read(ref _current) is { } current && current.Second == second)
        {
            return current.Source.Token;
        }

        lock (_lock)
        {
            if (_current is not { } made || made.Second != second)
            {
                made = new Current(second, new CancellationTokenSource(after + TimeSpan.FromSeconds(1), time));
                Volatile.Write(ref _current, made);
            }

            return made.Source.Token;
        }
    }

    private sealed record Current(long Second, CancellationTokenSource Source);
}
