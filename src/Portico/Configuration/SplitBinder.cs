using Portico.Configuration.Model;
using Portico.Configuration.Yaml;
using Portico.LoadBalancing;

namespace Portico.Configuration;

/// <summary>Binds a route's `split` section (weighted arms, stickiness, forcing).</summary>
internal static class SplitBinder
{
    public static SplitSettings? Bind(MapReader route, bool cached)
    {
        var m = route.Section("split");
        if (m is null)
        {
            return null;
        }

        if (cached)
        {
            // The cache keys on the URL: one arm's stored response would be served to the others.
            m.Error("", "a route with a split cannot have a cache: the arms would share stored responses");
        }

        var arms = BindArms(m);
        var stickyText = m.String("sticky") ?? "cookie";
        HashKeySpec? sticky = null;
        if (stickyText != "cookie")
        {
            if (HashKeySpec.TryParse(stickyText, out var spec))
            {
                sticky = spec;
            }
            else
            {
                m.Error("sticky", $"'{stickyText}' is not one of: cookie, client-ip, header:NAME, cookie:NAME");
            }
        }

        var cookie = Token(m, "cookie") ?? "portico_split";
        var force = m.Section("force");
        var forceHeader = force is null ? null : Token(force, "header");
        var forceCookie = force is null ? null : Token(force, "cookie");
        force?.Finish();
        m.Finish();
        if (arms is null)
        {
            return null;
        }

        var total = (double)arms.Sum(a => a.Weight);
        var bounds = new List<double>();
        var sum = 0;
        foreach (var arm in arms)
        {
            sum += arm.Weight;
            bounds.Add(sum / total);
        }

        return new SplitSettings { Arms = arms, Sticky = sticky, Cookie = cookie, ForceHeader = forceHeader, ForceCookie = forceCookie, Bounds = bounds };
    }

    private static List<SplitArm>? BindArms(MapReader m)
    {
        if (m.Node("arms") is not SequenceNode seq || seq.Items.Count == 0)
        {
            m.Error("arms", "required: a list of { cluster, weight }, e.g. [{ cluster: stable, weight: 90 }, { cluster: canary, weight: 10 }]");
            return null;
        }

        var arms = new List<SplitArm>();
        var path = m.Child("arms");
        var errorsBefore = m.Errors.All.Count;
        for (var i = 0; i < seq.Items.Count; i++)
        {
            var a = MapReader.For(seq.Items[i], $"{path}[{i}]", m.Errors, m.Lines, seq.Items[i].Line);
            if (a is null)
            {
                continue;
            }

            var cluster = a.String("cluster");
            var weight = a.Int("weight", 0, 1_000_000);
            a.Finish();
            if (cluster is null)
            {
                a.Error("cluster", "required: the cluster of this arm");
            }

            if (weight is null && a.Node("weight") is null)
            {
                a.Error("weight", "required: this arm's share, a whole number from 0");
            }

            if (cluster is null || weight is null)
            {
                continue;
            }

            if (arms.Any(x => x.Cluster == cluster))
            {
                a.Error("cluster", $"'{cluster}' is already an arm of this split");
                continue;
            }

            arms.Add(new SplitArm(cluster, weight.Value));
        }

        if (m.Errors.All.Count > errorsBefore)
        {
            return null;
        }

        if (arms.Sum(a => (long)a.Weight) == 0)
        {
            m.Error("arms", "the weights add up to 0: give at least one arm a weight above 0");
            return null;
        }

        return arms;
    }

    private static string? Token(MapReader m, string key)
    {
        var value = m.String(key);
        if (value is not null && !RouteBinder.IsToken(value))
        {
            m.Error(key, $"'{value}' is not a valid name");
            return null;
        }

        return value;
    }
}
