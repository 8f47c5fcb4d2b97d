using System.Collections.Concurrent;
using Portico.Configuration;
using Portico.Configuration.Model;

namespace Portico.Pages;

/// <summary>
/// Which routes are in maintenance: a route's `maintenance.enabled`, unless the admin API switched
/// it. A switch outlives reloads until it is turned off or cleared, because an operator who took a
/// route out of service during a deploy must not see a config reload (often part of that deploy)
/// put it back; it is dropped when a reload leaves the route without a `maintenance` section.
/// </summary>
internal sealed class MaintenanceSwitches
{
    private readonly ConcurrentDictionary<string, bool> _switched = new(StringComparer.Ordinal);

    public MaintenanceSwitches(ActiveConfig config) => config.Changed += Prune;

    public bool IsOn(RouteSettings route)
        => route.Maintenance is { } maintenance && (_switched.TryGetValue(route.Id, out var on) ? on : maintenance.Enabled);

    /// <summary>The admin API's switch for <paramref name="route"/>; null when the config decides.</summary>
    public bool? Switched(string route) => _switched.TryGetValue(route, out var on) ? on : null;

    public void Switch(string route, bool on) => _switched[route] = on;

    /// <summary>Hands the route back to its config's `maintenance.enabled`.</summary>
    public void Clear(string route) => _switched.TryRemove(route, out _);

    private void Prune(ConfigSnapshot snapshot)
    {
        foreach (var route in _switched.Keys)
        {
            if (snapshot.Route(route)?.Maintenance is null)
            {
                _switched.TryRemove(route, out _);
            }
        }
    }
}
