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
            if (!clusterIds.Contains(route.Cluster))
            {
                var known = clusterIds.Count == 0 ? "none are defined" : "defined: " + string.Join(", ", clusterIds);
                Add(errors, lines, $"routes.{route.Id}.cluster", $"cluster '{route.Cluster}' is not defined ({known})");
            }
        }

        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var listener in settings.Listeners)
        {
            var key = listener.EndPoint.ToString();
            if (seen.TryGetValue(key, out var other))
            {
                Add(errors, lines, $"listeners.{listener.Name}.address", $"{key} is already used by listener '{other}'");
                continue;
            }

            seen[key] = listener.Name;
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

        if (settings.Admin.Enabled && settings.Admin.EndPoint.Port != 0 && seen.TryGetValue(settings.Admin.EndPoint.ToString(), out var clash))
        {
            Add(errors, lines, "admin.address", $"{settings.Admin.EndPoint} is already used by listener '{clash}'");
        }
    }

    private static void Add(ConfigErrors errors, ConfigLines lines, string path, string reason)
        => errors.Add(lines.Of(path) ?? 0, path, reason);
}
