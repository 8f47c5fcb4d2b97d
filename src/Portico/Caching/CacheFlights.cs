using System.Collections.Concurrent;

namespace Portico.Caching;

/// <summary>
/// Requests on their way to the origin, by variant key, so identical misses wait for the first
/// one (the leader) instead of each going to the origin (request collapsing).
/// </summary>
internal sealed class CacheFlights
{
    private readonly ConcurrentDictionary<string, CacheFlight> _flights = new(StringComparer.Ordinal);

    /// <summary>The flight for <paramref name="key"/>; <paramref name="leader"/> says whether the caller started it and must fly it.</summary>
    public CacheFlight Join(string key, out bool leader)
    {
        var mine = new CacheFlight();
        var flight = _flights.GetOrAdd(key, mine);
        leader = ReferenceEquals(flight, mine);
        return flight;
    }

    public void Land(string key, CacheFlight flight)
    {
        _flights.TryRemove(new KeyValuePair<string, CacheFlight>(key, flight));
        flight.Share(null);
    }
}

/// <summary>One leader's request to the origin; followers learn at its response headers whether they can use it.</summary>
internal sealed class CacheFlight
{
    private readonly TaskCompletionSource<(CacheEntry Head, FlightBody Body)?> _headers = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The leader's response head and body to share, or null when it is not shareable (not storable, too large, failed).</summary>
    public void Share((CacheEntry Head, FlightBody Body)? response) => _headers.TrySetResult(response);

    /// <summary>What the leader shared, or null when it shared nothing within <paramref name="timeout"/>.</summary>
    public async Task<(CacheEntry Head, FlightBody Body)?> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await _headers.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }
}
