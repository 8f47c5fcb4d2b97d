using System.Net;
using System.Net.Sockets;
using Portico.Configuration.Model;

namespace Portico.Configuration.Validation;

/// <summary>Checks that need the whole file: references between sections and clashes.</summary>
internal static class CrossReferenceValidator
{
    public static void Validate(PorticoSettings settings, ConfigErrors errors, ConfigLines lines)
    {
        // Declared ids, including clusters that failed to bind: those have their own errors.
        var clusterIds = lines.Declared("clusters");
        foreach (var route in settings.Routes)
        {
            // A route without a cluster only redirects (its binder asks for `redirects` then).
            if (route.Cluster is not null && !clusterIds.Contains(route.Cluster))
            {
                Add(errors, lines, $"routes.{route.Id}.cluster", $"cluster '{route.Cluster}' is not defined ({Known(clusterIds)})");
            }

            var arms = route.Split?.Arms ?? [];
            for (var i = 0; i < arms.Count; i++)
            {
                if (!clusterIds.Contains(arms[i].Cluster))
                {
                    Add(errors, lines, $"routes.{route.Id}.split.arms[{i}].cluster", $"cluster '{arms[i].Cluster}' is not defined ({Known(clusterIds)})");
                }
            }

            if (route.Mirror is { } mirror)
            {
                var path = $"routes.{route.Id}.mirror.cluster";
                if (!clusterIds.Contains(mirror.Cluster))
                {
                    Add(errors, lines, path, $"cluster '{mirror.Cluster}' is not defined ({Known(clusterIds)})");
                }
                else if (mirror.Cluster == route.Cluster || arms.Any(a => a.Cluster == mirror.Cluster))
                {
                    // The shadow's answers are thrown away and its failures ignored: the cluster that
                    // serves the route would take every mirrored request twice, once unheard.
                    Add(errors, lines, path, $"cluster '{mirror.Cluster}' serves this route; the shadow must be another cluster");
                }
            }
        }

        if (settings.Redis is null && settings.Cache.Shared.Enabled && lines.Of("cache.shared") is not null)
        {
            Add(errors, lines, "cache.shared", "the shared tier lives in Redis: add a top-level redis section, or set enabled: false");
        }

        var bound = new List<ListenerSettings>();
        foreach (var listener in settings.Listeners)
        {
            if (Clash(listener.EndPoint, bound) is { } other)
            {
                Add(errors, lines, $"listeners.{listener.Name}.address", Reason(listener.EndPoint, other.EndPoint, $"listener '{other.Name}'"));
                continue;
            }

            bound.Add(listener);
        }

        foreach (var listener in settings.Listeners.Where(l => l.Tls is { AcmeHosts.Count: > 0 }))
        {
            var path = $"listeners.{listener.Name}.tls.acme";
            if (settings.Acme is null)
            {
                Add(errors, lines, path, "ACME hosts need the top-level 'acme' section (directory, email, storage)");
            }

            if (settings.Acme is { Challenge: "http-01" } && !settings.Listeners.Any(l => l.Tls is null))
            {
                Add(errors, lines, path, "http-01 challenges are answered on a plain-text listener; declare one (port 80 for a public CA) or set acme.challenge: tls-alpn-01");
            }
        }

        if (settings.Admin.Enabled && Clash(settings.Admin.EndPoint, bound) is { } clash)
        {
            Add(errors, lines, "admin.address", Reason(settings.Admin.EndPoint, clash.EndPoint, $"listener '{clash.Name}'"));
        }
    }

    /// <summary>
    /// The listener already bound whose socket would take <paramref name="endPoint"/>'s port on the
    /// same address: the same address, or a wildcard of either side (0.0.0.0 takes the port on
    /// every IPv4 address; [::] on every address, as Kestrel binds it dual-stack). Port 0 asks
    /// the system for a free port and never clashes.
    /// </summary>
    private static ListenerSettings? Clash(IPEndPoint endPoint, List<ListenerSettings> bound)
        => endPoint.Port == 0 ? null : bound.FirstOrDefault(b => b.EndPoint.Port == endPoint.Port && Overlap(b.EndPoint.Address, endPoint.Address));

    private static bool Overlap(IPAddress a, IPAddress b)
        => a.Equals(b) || a.Equals(IPAddress.IPv6Any) || b.Equals(IPAddress.IPv6Any)
           || (a.Equals(IPAddress.Any) && b.AddressFamily == AddressFamily.InterNetwork)
           || (b.Equals(IPAddress.Any) && a.AddressFamily == AddressFamily.InterNetwork);

    private static string Reason(IPEndPoint endPoint, IPEndPoint other, string owner)
        => endPoint.Equals(other)
            ? $"{endPoint} is already used by {owner}"
            : $"{endPoint} overlaps {owner} ({other}): a wildcard address takes the port on every address, so the second bind would fail";

    private static string Known(IReadOnlySet<string> clusterIds)
        => clusterIds.Count == 0 ? "none are defined" : "defined: " + string.Join(", ", clusterIds);

    private static void Add(ConfigErrors errors, ConfigLines lines, string path, string reason)
        => errors.Add(lines.Of(path) ?? 0, path, reason);
}
