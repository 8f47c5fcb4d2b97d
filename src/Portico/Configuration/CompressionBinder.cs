using Portico.Configuration.Model;

namespace Portico.Configuration;

/// <summary>Binds a route's `compression` section.</summary>
internal static class CompressionBinder
{
    private static readonly string[] Known = ["zstd", "br", "gzip"];

    /// <summary>Null when the route has no `compression` section or says `enabled: false`.</summary>
    public static CompressionSettings? Bind(MapReader route)
    {
        var m = route.Section("compression");
        if (m is null)
        {
            return null;
        }

        var d = new CompressionSettings();
        var enabled = m.Bool("enabled") ?? true;
        var encodings = new List<string>();
        foreach (var encoding in m.StringList("encodings") ?? d.Encodings)
        {
            var name = encoding.ToLowerInvariant();
            if (!Known.Contains(name))
            {
                m.Error("encodings", $"'{encoding}' is not one of: {string.Join(", ", Known)}");
            }
            else if (!encodings.Contains(name))
            {
                encodings.Add(name);
            }
        }

        if (encodings.Count == 0 && m.Node("encodings") is not null)
        {
            m.Error("encodings", "name at least one encoding, or set enabled: false");
        }

        var types = new List<string>();
        foreach (var type in m.StringList("mimeTypes") ?? d.MimeTypes)
        {
            var slash = type.IndexOf('/');
            if (slash <= 0 || slash == type.Length - 1 || type.Contains(' ') || type.Contains(';'))
            {
                m.Error("mimeTypes", $"'{type}' is not a media type such as text/html, text/* or application/*+json");
                continue;
            }

            types.Add(type.ToLowerInvariant());
        }

        var levelText = m.String("level") ?? "optimal";
        CompressionEffort? level = levelText switch
        {
            "fastest" => CompressionEffort.Fastest,
            "optimal" => CompressionEffort.Optimal,
            "smallest" => CompressionEffort.Smallest,
            _ => null,
        };
        if (level is null)
        {
            m.Error("level", $"'{levelText}' is not one of: fastest, optimal, smallest");
        }

        var settings = new CompressionSettings
        {
            Encodings = encodings,
            MimeTypes = types,
            MinSizeBytes = CacheBinder.Size(m, "minSize", 0) ?? d.MinSizeBytes,
            Level = level ?? d.Level,
        };
        m.Finish();
        return enabled ? settings : null;
    }
}
