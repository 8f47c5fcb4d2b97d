using System.Net;
using System.Text;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.LoadBalancing;
using Portico.Observability;

namespace Portico.FastPath;

/// <summary>
/// Which requests the fast path may take under one config: it forwards a request only when
/// exactly one route could match it, that route certainly matches, and the route uses nothing
/// the fast path does not do itself. Any doubt sends the request to the full path, so the two
/// can never pick different routes. Built once per config snapshot.
/// </summary>
internal sealed class FastRoutes
{
    private readonly Entry[] _routes;

    private FastRoutes(ConfigSnapshot snapshot, Entry[] routes, string? disabledReason)
    {
        Snapshot = snapshot;
        _routes = routes;
        DisabledReason = disabledReason;
    }

    public ConfigSnapshot Snapshot { get; }

    /// <summary>Why no request can take the fast path under this config; null when some can.</summary>
    public string? DisabledReason { get; }

    /// <param name="Literal">The route matches on literal paths and exact hosts only, so whether it matches is known here.</param>
    /// <param name="Precedence">The router's inbound precedence of its path template (lower wins), for literal routes.</param>
    internal sealed record Entry(RouteSettings Route, FastCluster? Cluster, string? Ineligible, bool Literal, decimal Precedence)
    {
        public bool Eligible => Ineligible is null;

        /// <summary>Where the route's requests are counted, set by the first one to finish (any thread may: the same objects either way).</summary>
        public RouteTallies? Tallies { get; set; }

        /// <summary>A cached route: the fast path answers its fresh hits and hands everything else to the full path.</summary>
        public bool CacheHitsOnly => Route.Cache is not null;
    }

    /// <summary>A route's metric series and dashboard totals (PorticoMetrics, TrafficStats).</summary>
    internal sealed record RouteTallies(PorticoMetrics.Series Series, TrafficStats.RouteTotals Totals);

    public static FastRoutes Build(ConfigSnapshot snapshot)
    {
        var settings = snapshot.Settings;
        string? disabled = null;
        if (settings.Tracing.OtlpEndpoint is not null)
        {
            disabled = "tracing";
        }
        else if (settings.Limits.Hosts.Count > 0)
        {
            disabled = "served_hosts";
        }

        var routes = settings.Routes.Select(route => Describe(snapshot, route)).ToArray();
        return new FastRoutes(snapshot, routes, disabled);
    }

    /// <summary>Whether a listener's connections may use the fast path at all.</summary>
    public static bool ListenerEligible(ListenerSettings listener)
        => listener.Tls is null && listener.RedirectToHttpsPort is null && listener.IpRules is null
           && listener.Protocols == ListenerProtocols.Http1;

    /// <summary>
    /// The one route that takes this request on the fast path, or null with the reason the full
    /// path must take it. <paramref name="path"/> is a plain path (RequestHead.PlainPath).
    /// </summary>
    public Entry? Match(ReadOnlySpan<byte> method, ReadOnlySpan<byte> host, ReadOnlySpan<byte> path, int targetLength, out string? reason)
    {
        if (DisabledReason is not null)
        {
            reason = DisabledReason;
            return null;
        }

        var limits = Snapshot.Settings.Limits;
        if ((limits.MaxUrlLength is { } maxUrl && targetLength > maxUrl) || (limits.Methods.Count > 0 && !Contains(limits.Methods, method)))
        {
            reason = "limits";
            return null;
        }

        if (path.StartsWith("/.well-known/acme-challenge/"u8))
        {
            reason = "acme";
            return null;
        }

        var hostName = WithoutPort(host);
        Entry? found = null;
        var tie = false;
        var unknown = false;
        foreach (var entry in _routes)
        {
            var match = entry.Route.Match;
            if (!MightMatch(match, method, hostName, path))
            {
                continue;
            }

            if (!entry.Literal)
            {
                // A template, regex, header or query rule or wildcard host: whether it matches,
                // and how it ranks, is the router's to say.
                unknown = true;
                continue;
            }

            // A literal route's match is exact: it matches or it certainly does not.
            if (!CertainlyMatches(match, hostName, path))
            {
                continue;
            }

            var ranking = Ranking(entry, found);
            if (ranking < 0)
            {
                found = entry;
                tie = false;
            }
            else if (ranking == 0)
            {
                tie = true;
            }
        }

        if (unknown || tie)
        {
            // The router's own rules (templates, regexes, method and host policies) decide.
            reason = found is null && !tie ? "match" : "several_routes";
            return null;
        }

        if (found is null)
        {
            reason = "no_route";
            return null;
        }

        if (!found.Eligible)
        {
            reason = found.Ineligible;
            return null;
        }

        reason = null;
        return found;
    }

    /// <summary>
    /// How ASP.NET Core's router ranks two literal routes that both match: `order` first (lower
    /// wins, none is 0), then the path template's precedence, segment by segment (a literal
    /// segment before the `{**rest}` a pathPrefix ends in). Negative when <paramref name="a"/>
    /// wins; 0 when only the router's method and host policies could decide.
    /// </summary>
    private static int Ranking(Entry a, Entry? b)
    {
        if (b is null)
        {
            return -1;
        }

        var order = (a.Route.Order ?? 0).CompareTo(b.Route.Order ?? 0);
        return order != 0 ? order : a.Precedence.CompareTo(b.Precedence);
    }

    private static Entry Describe(ConfigSnapshot snapshot, RouteSettings route)
    {
        var match = route.Match;
        var cluster = snapshot.Cluster(route.Cluster)?.Settings;
        var literal = !(match.PathRegex is not null || match.Headers.Count > 0 || match.Query.Count > 0
            || (match.Path is { } p && p.Contains('{')) || match.Hosts.Any(h => h.Contains('*') || h.Contains(':')));
        string? ineligible = null;
        if (!literal)
        {
            ineligible = "match";
        }
        else if (route.Waf.Mode != WafMode.Off)
        {
            ineligible = "waf";
        }
        else if (route.RateLimit is not null || route.IpRules is not null || route.Limits is not null)
        {
            ineligible = "route_guard";
        }
        else if (route.Cache is not null)
        {
            // Fresh hits are answered here (FastCache); a miss is forwarded by the full path, which
            // stores it, so the cluster's own eligibility does not matter.
            return new Entry(route, null, null, literal, Precedence(match));
        }
        else if (route.Compression is not null)
        {
            ineligible = "compression";
        }
        else if (!route.PreserveHost)
        {
            ineligible = "host_rewrite";
        }
        else if (cluster is null)
        {
            ineligible = "cluster";
        }

        FastCluster? fast = null;
        if (ineligible is null)
        {
            ineligible = FastCluster.Ineligible(cluster!);
            if (ineligible is null)
            {
                fast = new FastCluster(cluster!, route.Timeout);
            }
        }

        return new Entry(route, fast, ineligible, literal, literal ? Precedence(match) : 0);
    }

    /// <summary>
    /// ASP.NET Core's inbound route precedence of a literal route's template: one digit per
    /// segment, 1 for a literal and 5 for the catch-all a pathPrefix ends in, the first segment
    /// the most significant. "/api/{**rest}" (1.5) outranks "/{**rest}" (5); "/api" (1) outranks both.
    /// </summary>
    internal static decimal Precedence(RouteMatchSettings match)
    {
        var template = Configuration.YarpTranslator.PathOf(match);
        var segments = template.Split('/', StringSplitOptions.RemoveEmptyEntries);
        decimal precedence = 0;
        decimal scale = 1;
        foreach (var segment in segments)
        {
            precedence += (segment.StartsWith("{**", StringComparison.Ordinal) ? 5 : 1) * scale;
            scale /= 10;
        }

        return precedence;
    }

    /// <summary>Could the route match? Errs towards yes: a yes only costs the fast path a request.</summary>
    private static bool MightMatch(RouteMatchSettings match, ReadOnlySpan<byte> method, ReadOnlySpan<byte> host, ReadOnlySpan<byte> path)
    {
        if (match.Methods.Count > 0 && !Contains(match.Methods, method))
        {
            return false;
        }

        if (match.Hosts.Count > 0)
        {
            var any = false;
            foreach (var pattern in match.Hosts)
            {
                any |= pattern.Contains('*') || pattern.Contains(':') || EqualsIgnoreCase(host, pattern);
            }

            if (!any)
            {
                return false;
            }
        }

        if (match.PathRegex is not null || (match.Path is { } p && p.Contains('{')))
        {
            return true;
        }

        // ASP.NET Core matches templates case-insensitively, a trailing slash allowed.
        var literal = match.Path ?? (match.PathPrefix ?? "/").TrimEnd('/');
        return StartsWithIgnoreCase(path, literal.TrimEnd('/'));
    }

    /// <summary>Does the route certainly match? Only asked of a route without wildcards, regexes or header/query rules.</summary>
    private static bool CertainlyMatches(RouteMatchSettings match, ReadOnlySpan<byte> host, ReadOnlySpan<byte> path)
    {
        if (match.Hosts.Count > 0)
        {
            var any = false;
            foreach (var pattern in match.Hosts)
            {
                any |= EqualsIgnoreCase(host, pattern);
            }

            if (!any)
            {
                return false;
            }
        }

        if (match.Path is { } exact)
        {
            var trimmed = exact.TrimEnd('/');
            return EqualsIgnoreCase(path, trimmed) || (path.Length == trimmed.Length + 1 && path[^1] == '/' && StartsWithIgnoreCase(path, trimmed));
        }

        // pathPrefix P is the template "P/{**rest}": P itself, P/ and anything under P/.
        var prefix = (match.PathPrefix ?? "/").TrimEnd('/');
        return prefix.Length == 0 || EqualsIgnoreCase(path, prefix) || (StartsWithIgnoreCase(path, prefix) && path[prefix.Length] == '/');
    }

    internal static ReadOnlySpan<byte> WithoutPort(ReadOnlySpan<byte> host)
    {
        if (host.StartsWith("["u8))
        {
            var close = host.IndexOf((byte)']');
            return close < 0 ? host : host[..(close + 1)];
        }

        var colon = host.LastIndexOf((byte)':');
        return colon < 0 ? host : host[..colon];
    }

    private static bool Contains(IReadOnlyList<string> list, ReadOnlySpan<byte> value)
    {
        foreach (var item in list)
        {
            if (EqualsIgnoreCase(value, item))
            {
                return true;
            }
        }

        return false;
    }

    private static bool EqualsIgnoreCase(ReadOnlySpan<byte> bytes, string text)
        => bytes.Length == text.Length && Ascii.EqualsIgnoreCase(bytes, text);

    private static bool StartsWithIgnoreCase(ReadOnlySpan<byte> bytes, string text)
        => bytes.Length >= text.Length && Ascii.EqualsIgnoreCase(bytes[..text.Length], text);
}

/// <summary>A cluster as the fast path forwards to it: plain HTTP/1.1 to IP-literal destinations.</summary>
internal sealed class FastCluster(ClusterSettings settings, TimeSpan? routeTimeout)
{
    // YARP's default activity timeout when the cluster sets none.
    private static readonly TimeSpan DefaultActivityTimeout = TimeSpan.FromSeconds(100);

    public ClusterSettings Settings { get; } = settings;

    public TimeSpan? RouteTimeout { get; } = routeTimeout;

    public TimeSpan ActivityTimeout { get; } = settings.Timeout ?? DefaultActivityTimeout;

    public static string? Ineligible(ClusterSettings cluster)
    {
        if (cluster.Tls is not null || cluster.HttpVersion != "1.1" || cluster.MaxConnectionsPerServer is not null)
        {
            return "cluster";
        }

        if (cluster.LoadBalancing == PolicyNames.ConsistentHash)
        {
            return "load_balancing";
        }

        // Retries, with their counting and exclusions, are the full pipeline's (ForwardingMiddleware).
        if (cluster.Retries > 0)
        {
            return "retries";
        }

        foreach (var destination in cluster.Destinations)
        {
            var address = destination.Address;
            if (address.Scheme != "http" || !IPAddress.TryParse(address.Host.Trim('[', ']'), out _) || address.AbsolutePath != "/" || address.Query.Length > 0)
            {
                return "destination";
            }
        }

        return null;
    }
}
