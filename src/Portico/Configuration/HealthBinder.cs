using System.Globalization;
using Portico.Configuration.Model;

namespace Portico.Configuration;

/// <summary>Binds a cluster's `healthCheck` section (active and passive).</summary>
internal static class HealthBinder
{
    public static (ActiveHealthSettings? Active, PassiveHealthSettings? Passive) Bind(MapReader cluster)
    {
        var m = cluster.Section("healthCheck");
        if (m is null)
        {
            return (null, null);
        }

        var active = BindActive(m);
        var passive = BindPassive(m);
        m.Finish();
        return (active, passive);
    }

    private static ActiveHealthSettings? BindActive(MapReader parent)
    {
        var m = parent.Section("active");
        if (m is null)
        {
            return null;
        }

        var d = new ActiveHealthSettings();
        var path = m.String("path") ?? d.Path;
        if (!path.StartsWith('/'))
        {
            m.Error("path", $"'{path}' must start with '/'");
        }

        var settings = new ActiveHealthSettings
        {
            Path = path,
            Interval = m.Duration("interval") ?? d.Interval,
            Timeout = m.Duration("timeout") ?? d.Timeout,
            HealthyThreshold = m.Int("healthyThreshold", 1, 100) ?? d.HealthyThreshold,
            UnhealthyThreshold = m.Int("unhealthyThreshold", 1, 100) ?? d.UnhealthyThreshold,
            ExpectedStatus = BindStatusRanges(m, "expectedStatus") ?? d.ExpectedStatus,
        };
        m.Finish();
        return settings;
    }

    private static PassiveHealthSettings? BindPassive(MapReader parent)
    {
        var m = parent.Section("passive");
        if (m is null)
        {
            return null;
        }

        var d = new PassiveHealthSettings();
        var settings = new PassiveHealthSettings
        {
            ConsecutiveFailures = m.Int("consecutiveFailures", 0, 1000) ?? d.ConsecutiveFailures,
            FailureRate = m.Double("failureRate", 0.01, 1.0),
            Window = m.Duration("window") ?? d.Window,
            MinimumRequests = m.Int("minimumRequests", 1, 1_000_000) ?? d.MinimumRequests,
            ReactivateAfter = m.Duration("reactivateAfter") ?? d.ReactivateAfter,
            CountServerErrors = m.Bool("countServerErrors") ?? d.CountServerErrors,
        };
        if (settings.ConsecutiveFailures == 0 && m.Node("failureRate") is null)
        {
            m.Error("consecutiveFailures", "with consecutiveFailures 0 and no failureRate, passive checks would never eject anything");
        }

        m.Finish();
        return settings;
    }

    private static List<StatusRange>? BindStatusRanges(MapReader m, string key)
    {
        var items = m.ScalarList(key);
        if (items is null)
        {
            return null;
        }

        var ranges = new List<StatusRange>();
        foreach (var item in items)
        {
            var parts = item.Value.Split('-', 2);
            if (int.TryParse(parts[0], CultureInfo.InvariantCulture, out var from)
                && (parts.Length == 1 ? from : int.TryParse(parts[1], CultureInfo.InvariantCulture, out var t) ? t : -1) is var to
                && from is >= 100 and <= 599 && to >= from && to <= 599)
            {
                ranges.Add(new StatusRange(from, to));
            }
            else
            {
                m.Errors.Add(item.Line, m.Child(key), $"'{item.Value}' is not a status code (200) or range (200-399)");
            }
        }

        return ranges;
    }
}
