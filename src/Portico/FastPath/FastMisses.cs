using Portico.Caching;
using Portico.Configuration;
using Portico.Configuration.Model;

namespace Portico.FastPath;

/// <summary>What the fast path's cache misses share with the full path's cache stage: the store, its parts, the flights, the metric, the clock.</summary>
internal sealed class FastMisses(ActiveConfig config, ICacheStore store, PartialStore partials, CacheFlights flights, CacheMetrics metrics, TimeProvider time)
{
    public PorticoSettings Settings => config.Current.Settings;

    public ICacheStore Store => store;

    public PartialStore Partials => partials;

    public CacheFlights Flights => flights;

    public CacheMetrics Metrics => metrics;

    public TimeProvider Time => time;
}
