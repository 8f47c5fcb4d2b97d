using System.Text;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Pipeline;
using Portico.Routing;

namespace Portico.FastPath;

/// <summary>
/// Which requests the fast path may take under one config: it forwards a request only when
/// exactly one route could match it, that route certainly matches, and every stage that applies
/// to the route says the fast path honours it (<see cref="RouteStages"/>). Any doubt sends the
/// request to the full path, so the two can never pick different routes. Built once per config snapshot.
/// </summary>
internal sealed class FastRoutes
{
    private readonly Entry[] _routes;
    private readonly byte[][] _identityHeaders;
    private readonly byte[][] _authPaths;

    private FastRoutes(ConfigSnapshot snapshot, Entry[] routes, HandOverReason? disabledReason)
    {
        Snapshot = snapshot;
        _routes = routes;
        DisabledReason = disabledReason;
        _identityHeaders = snapshot.Settings.Routes.SelectMany(r => r.Auth?.WrittenHeaders() ?? [])
            .Distinct(StringComparer.OrdinalIgnoreCase).Select(Encoding.ASCII.GetBytes).ToArray();
        _authPaths = snapshot.Settings.Routes.Select(r => r.Auth?.Oidc).OfType<OidcAuthSettings>()
            .SelectMany(o => (string[])[o.CallbackPath, o.LogoutPath]).Select(Encoding.UTF8.GetBytes).ToArray();
    }

    public ConfigSnapshot Snapshot { get; }

    /// <summary>Why no request can take the fast path under this config; null when some can.</summary>
    public HandOverReason? DisabledReason { get; }

    /// <param name="Literal">The route matches on literal paths and exact hosts only, so whether it matches is known here.</param>
    /// <param name="Precedence">The router's inbound precedence of its path template (lower wins), for literal routes.</param>
    /// <param name="Ineligible">Why the route's stages keep it on the full path (<see cref="RouteStages.Fit"/>); null when the fast path may take it.</param>
    /// <param name="CacheHitsOnly">The fast path answers the route's fresh cache hits and hands everything else to the full path.</param>
    internal sealed record Entry(RouteSettings Route, FastCluster? Cluster, HandOverReason? Ineligible, bool Literal, decimal Precedence, bool CacheHitsOnly)
    {
        public bool Eligible => Ineligible is null;

        /// <summary>Why the route's HTTP/2 requests are handed over when a stage is honoured for HTTP/1.1 only; null when none is.</summary>
        public HandOverReason? Http2Refusal { get; init; }

        /// <summary>The header rules toward the backend, top-level then the route's; null when none.</summary>
        public FastFieldRules? RequestRules { get; init; }

        /// <summary>The header rules toward the client; null when none.</summary>
        public FastFieldRules? ResponseRules { get; init; }

        /// <summary>Where the route's requests are counted, set by the first one to finish (any thread may: the same objects either way).</summary>
        public RouteTallies? Tallies { get; set; }
    }

    public static FastRoutes Build(ConfigSnapshot snapshot)
    {
        var settings = snapshot.Settings;
        var routes = settings.Routes.Select(route => Describe(snapshot, route)).ToArray();
        return new FastRoutes(snapshot, routes, Disabled(settings));
    }

    /// <summary>Why no request takes the fast path under these settings; null when some may.</summary>
    private static HandOverReason? Disabled(PorticoSettings settings)
        => settings.Tracing.OtlpEndpoint is not null ? HandOverReason.Tracing
            : settings.Limits.Hosts.Count > 0 ? HandOverReason.ServedHosts
            : null;

    /// <summary>
    /// Whether the fast path takes a route's requests, for the admin API: "yes", "fresh_cache_hits",
    /// or the reason it does not (a server-wide one first). Requests it takes may still be handed
    /// over one by one (a body, another route that could match, …).
    /// </summary>
    public static string Explain(RouteSettings route, PorticoSettings settings)
    {
        var stages = RouteStages.Fit(route, settings, out var hitsOnly);
        return (Disabled(settings) ?? stages) is { } reason ? HandOverReasonNames.Of(reason) : hitsOnly ? "fresh_cache_hits" : "yes";
    }

    /// <summary>
    /// Why a listener's connections do not take the fast path; null when they may. Read for each
    /// connection from the current config, as the full path's stages read the listener's settings
    /// for each request, so a reload that gives a listener `ipRules` or HSTS takes it off the fast
    /// path at once. On a TLS listener the fast path reads the decrypted bytes behind Kestrel's
    /// TLS, as the full path does (HSTS and the client certificate's fields it adds per request,
    /// FastFields). h2 connections never reach the connection-level fast path (the framing check
    /// steps aside for them); their requests meet the fast path one by one (<paramref name="http2"/>:
    /// StreamRequests), on any listener that offers HTTP/2, where HSTS still keeps a TLS listener
    /// on the full path (StreamRequests does not add the TLS stage's fields).
    /// </summary>
    public static HandOverReason? ListenerRefusal(ListenerSettings listener, bool http2 = false)
        => listener.RedirectToHttpsPort is not null ? HandOverReason.HttpsRedirect
            : listener.IpRules is not null ? HandOverReason.ListenerIpRules
            : !http2 && !listener.Protocols.HasFlag(ListenerProtocols.Http1) ? HandOverReason.ListenerProtocols
            : http2 && listener.Tls is { Hsts.Count: > 0 } ? HandOverReason.TlsListener
            : null;

    /// <summary>
    /// Whether the head carries a header some route's auth writes for its backends. The full
    /// path removes a client's copy on every route; the fast path copies headers as sent, so
    /// such a request is handed over rather than forwarded with a spoofed identity.
    /// </summary>
    public bool CarriesIdentityHeader(RequestHead head)
    {
        if (_identityHeaders.Length == 0)
        {
            return false;
        }

        foreach (var line in head.Lines)
        {
            var field = head.Bytes.Span[line.Start..line.End];
            var name = field[..field.IndexOf((byte)':')];
            foreach (var identity in _identityHeaders)
            {
                if (Ascii.EqualsIgnoreCase(name, identity))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Whether the path is an OIDC route's callback or logout path: the auth stage answers those
    /// whichever route the path matches. The fast path sees only plain paths (RequestHead.PlainPath),
    /// so comparing bytes agrees with the full path's decoded one.
    /// </summary>
    public bool IsAuthEndpoint(ReadOnlySpan<byte> path)
    {
        foreach (var authPath in _authPaths)
        {
            if (path.SequenceEqual(authPath))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The one route that takes this request on the fast path, or null with the reason the full
    /// path must take it. <paramref name="path"/> is a plain path (RequestHead.PlainPath).
    /// </summary>
    public Entry? Match(ReadOnlySpan<byte> method, ReadOnlySpan<byte> host, ReadOnlySpan<byte> path, int targetLength, out HandOverReason? reason)
    {
        if (DisabledReason is not null)
        {
            reason = DisabledReason;
            return null;
        }

        var limits = Snapshot.Settings.Limits;
        if ((limits.MaxUrlLength is { } maxUrl && targetLength > maxUrl) || (limits.Methods.Count > 0 && !Contains(limits.Methods, method)))
        {
            reason = HandOverReason.Limits;
            return null;
        }

        if (path.StartsWith("/.well-known/acme-challenge/"u8))
        {
            reason = HandOverReason.Acme;
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
            reason = found is null && !tie ? HandOverReason.Match : HandOverReason.SeveralRoutes;
            return null;
        }

        if (found is null)
        {
            reason = HandOverReason.NoRoute;
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
        var literal = RouteMatchStage.IsLiteral(route.Match);
        var ineligible = RouteStages.Fit(route, snapshot.Settings, out var hitsOnly, out var http2Refusal);
        FastCluster? fast = null;
        if (ineligible is null && !hitsOnly)
        {
            // The forwarding stage has vouched for the cluster (a route without one only redirects,
            // which the redirect stage keeps on the full pipeline).
            fast = new FastCluster(snapshot.Cluster(route.Cluster!)!.Settings, route.Timeout);
        }

        return new Entry(route, fast, ineligible, literal, literal ? Precedence(route.Match) : 0, hitsOnly)
        {
            Http2Refusal = http2Refusal,
            RequestRules = FastFieldRules.Of(snapshot.Settings.Headers?.Request, route.Headers?.Request),
            ResponseRules = FastFieldRules.Of(snapshot.Settings.Headers?.Response, route.Headers?.Response),
        };
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
