using Portico.Configuration.Model;

namespace Portico.Configuration;

/// <summary>Binds the top-level `cache` section (the store) and a route's `cache` section.</summary>
internal static class CacheBinder
{
    public static CacheSettings BindStore(MapReader root)
    {
        var d = new CacheSettings();
        var m = root.Section("cache");
        if (m is null)
        {
            return d;
        }

        var maxSize = Size(m, "maxSize", 64 * 1024) ?? d.MaxSizeBytes;
        var explicitObject = Size(m, "maxObjectSize", 1);
        var maxObject = explicitObject ?? Math.Min(d.MaxObjectSizeBytes, maxSize);
        if (maxObject > maxSize)
        {
            m.Error("maxObjectSize", $"{maxObject} bytes is larger than maxSize ({maxSize} bytes)");
        }

        var settings = new CacheSettings
        {
            MaxSizeBytes = maxSize,
            MaxObjectSizeBytes = maxObject,
            CollapseTimeout = m.Duration("collapseTimeout") ?? d.CollapseTimeout,
            TargetedField = TargetedField(m),
            Disk = Disk(m),
            Shared = Shared(m, maxObject),
            TagField = FieldName(m, "tagField", "examples: Cache-Tag, Surrogate-Key") ?? d.TagField,
        };
        m.Finish();
        return settings;
    }

    /// <summary>Null when the route has no `cache` section or says `enabled: false`.</summary>
    public static RouteCacheSettings? BindRoute(MapReader route)
    {
        var m = route.Section("cache");
        if (m is null)
        {
            return null;
        }

        var d = new RouteCacheSettings();
        var enabled = m.Bool("enabled") ?? true;
        var settings = new RouteCacheSettings
        {
            Heuristic = m.Bool("heuristic") ?? d.Heuristic,
            Collapse = m.Bool("collapse") ?? d.Collapse,
            StripSetCookie = StripSetCookie(m),
            Key = Key(m),
        };
        m.Finish();
        return enabled ? settings : null;
    }

    // `setCookie`: uncached (the default) or strip.
    private static bool StripSetCookie(MapReader m)
    {
        var value = m.String("setCookie");
        if (value is not (null or "uncached" or "strip"))
        {
            m.Error("setCookie", $"'{value}' is not one of: uncached, strip");
        }

        return value == "strip";
    }

    // Its presence without a `redis` section is checked with the whole file (CrossReferenceValidator).
    private static SharedCacheSettings Shared(MapReader cache, long memoryMaxObject)
    {
        var d = new SharedCacheSettings();
        var m = cache.Section("shared");
        if (m is null)
        {
            return d;
        }

        var maxObject = Size(m, "maxObjectSize", 1) ?? Math.Min(d.MaxObjectSizeBytes, memoryMaxObject);
        if (maxObject > memoryMaxObject)
        {
            // A shared hit is promoted into the memory tier; a body it cannot take would be fetched from Redis on every hit.
            m.Error("maxObjectSize", $"{maxObject} bytes is larger than cache.maxObjectSize ({memoryMaxObject} bytes)");
        }

        var settings = new SharedCacheSettings
        {
            Enabled = m.Bool("enabled") ?? d.Enabled,
            MaxObjectSizeBytes = maxObject,
            KeepStale = m.Duration("keepStale", allowZero: true) ?? d.KeepStale,
            PurgeWait = m.Duration("purgeWait") ?? d.PurgeWait,
        };
        m.Finish();
        return settings;
    }

    // The directory must be one Portico can write, found now rather than at the first store.
    private static DiskCacheSettings? Disk(MapReader cache)
    {
        var m = cache.Section("disk");
        if (m is null)
        {
            return null;
        }

        var d = new DiskCacheSettings { Directory = "" };
        if (m.String("dir") is null)
        {
            m.Error("dir", "give the disk tier's directory (example: /var/cache/portico)");
        }

        var dir = ConfigPaths.Resolve(m, "dir");

        var maxSize = Size(m, "maxSize", 1L << 20) ?? d.MaxSizeBytes;
        var maxObject = Size(m, "maxObjectSize", 1) ?? Math.Min(d.MaxObjectSizeBytes, maxSize);
        if (maxObject > maxSize)
        {
            m.Error("maxObjectSize", $"{maxObject} bytes is larger than maxSize ({maxSize} bytes)");
        }

        if (dir is not null && Unwritable(dir) is { } why)
        {
            m.Error("dir", $"'{dir}' cannot be written: {why}");
        }

        m.Finish();
        return dir is null ? null : new DiskCacheSettings { Directory = dir, MaxSizeBytes = maxSize, MaxObjectSizeBytes = maxObject };
    }

    // Creating and deleting a file in the directory, or in its nearest existing parent when it is
    // still to be made, is the one test that answers for permissions, read-only mounts and ACLs alike.
    private static string? Unwritable(string dir)
    {
        var probeIn = dir;
        while (!System.IO.Directory.Exists(probeIn))
        {
            if (File.Exists(probeIn))
            {
                return "it is a file";
            }

            probeIn = Path.GetDirectoryName(probeIn);
            if (probeIn is null)
            {
                return "no parent folder exists";
            }
        }

        var probe = Path.Combine(probeIn, $".portico-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"no file can be created in {probeIn} ({(e is UnauthorizedAccessException ? "permission denied" : "I/O error")})";
        }
    }

    // `cache.key`: every name a token (RFC 9110 §5.1; cookie names are tokens too, RFC 6265 §4.1.1).
    private static CacheKeySettings? Key(MapReader route)
    {
        var m = route.Section("key");
        if (m is null)
        {
            return null;
        }

        IReadOnlyList<string>? include = null;
        IReadOnlyList<string> ignore = [];
        var sort = false;
        if (m.Section("query") is { } q)
        {
            include = q.StringList("include");
            ignore = q.StringList("ignore") ?? [];
            sort = q.Bool("sort") ?? false;
            if (include is not null && ignore.Count > 0)
            {
                q.Error("ignore", "give include or ignore, not both: include keeps only the parameters it names");
            }

            q.Finish();
        }

        var settings = new CacheKeySettings
        {
            QueryInclude = include,
            QueryIgnore = ignore,
            SortQuery = sort,
            Headers = Tokens(m, "headers", "a field name (example: X-Country)"),
            Cookies = Tokens(m, "cookies", "a cookie name (example: lang)"),
            Device = m.Bool("device") ?? false,
        };
        m.Finish();
        return settings;
    }

    private static string[] Tokens(MapReader m, string key, string what)
    {
        var names = m.StringList(key) ?? [];
        foreach (var name in names.Where(n => !RouteBinder.IsToken(n)))
        {
            m.Error(key, $"'{name}' is not {what}");
        }

        return names.Where(RouteBinder.IsToken).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
    }

    // A field name: a token (RFC 9110 §5.1).
    private static string? FieldName(MapReader m, string key, string examples)
    {
        if (m.String(key) is not { } name)
        {
            return null;
        }

        if (!RouteBinder.IsToken(name))
        {
            m.Error(key, $"'{name}' is not a field name ({examples})");
            return null;
        }

        return name;
    }

    // A field name, and not one whose meaning is already fixed.
    private static string? TargetedField(MapReader m)
    {
        if (FieldName(m, "targetedField", "example: Portico-Cache-Control") is not { } name)
        {
            return null;
        }

        if (name.Equals("Cache-Control", StringComparison.OrdinalIgnoreCase) || name.Equals("CDN-Cache-Control", StringComparison.OrdinalIgnoreCase))
        {
            m.Error("targetedField", $"'{name}' is already read; name a field of Portico's own (example: Portico-Cache-Control)");
            return null;
        }

        return name;
    }

    /// <summary>A size such as "64KiB" of at least <paramref name="min"/> bytes; null (with an error) otherwise.</summary>
    internal static long? Size(MapReader m, string key, long min)
    {
        if (m.String(key) is not { } text)
        {
            return null;
        }

        if (!ByteSize.TryParse(text, out var bytes) || bytes < min)
        {
            var floor = min > 1 ? $" of at least {min} bytes" : "";
            m.Error(key, $"'{text}' is not a size{floor} (examples: 512, 64KiB, 10MiB)");
            return null;
        }

        return bytes;
    }
}
