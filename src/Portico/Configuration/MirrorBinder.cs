using Portico.Configuration.Model;

namespace Portico.Configuration;

/// <summary>Binds a route's `mirror` section (the shadow cluster, the share copied, the copy's bounds).</summary>
internal static class MirrorBinder
{
    // Each copy waiting or in flight may hold a body this large: (queue + concurrency) × maxBodySize
    // is the route's worst case, so a single body is capped well below anything that would matter.
    private const long LargestBody = 64L * 1024 * 1024;

    public static MirrorSettings? Bind(MapReader route)
    {
        var m = route.Section("mirror");
        if (m is null)
        {
            return null;
        }

        var cluster = m.String("cluster");
        var percent = m.Double("percent", 0, 100);
        var maxBody = CacheBinder.Size(m, "maxBodySize", 0);
        if (maxBody > LargestBody)
        {
            m.Error("maxBodySize", $"'{m.String("maxBodySize")}' is more than 64MiB, the most a mirrored body may hold");
            maxBody = null;
        }

        var queue = m.Int("queue", 0, 100_000);
        var concurrency = m.Int("concurrency", 1, 10_000);
        var timeout = m.Duration("timeout");
        m.Finish();
        if (cluster is null)
        {
            m.Error("cluster", "required: the id of the shadow cluster the copies go to");
            return null;
        }

        var defaults = new MirrorSettings { Cluster = cluster };
        return defaults with
        {
            Percent = percent ?? defaults.Percent,
            MaxBodySize = maxBody ?? defaults.MaxBodySize,
            Queue = queue ?? defaults.Queue,
            Concurrency = concurrency ?? defaults.Concurrency,
            Timeout = timeout ?? defaults.Timeout,
        };
    }
}
