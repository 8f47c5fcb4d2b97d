using Portico.Configuration.Model;
using static Portico.Configuration.Catalogue.Keys;

namespace Portico.Configuration.Catalogue;

/// <summary>`routes.ID`: its match, forwarding options and per-route stages.</summary>
internal static class RouteKeys
{
    private static readonly string[] WafModes = ["off", "detect", "block"];

    public static IEnumerable<ConfigKey> All =>
    [
        Names("routes", "which requests go where, by a route id of your choice."),
        Table("routes.ID", "A request goes to the most specific matching route (host, then path specificity, as ASP.NET routing ranks them); `order` breaks ties, lower first. No match: 404."),
        Text("routes.ID.cluster", "the cluster that serves the route. A route with `redirects` may leave it out to only redirect (what no rule takes then gets 404).") with { Required = true, Example = "app" },
        Section("routes.ID.match", "which requests the route takes; every condition given must hold.") with { DefaultNote = "every request" },
        List("routes.ID.match.hosts", "host names; `*.example.com` matches any subdomain; `example.com:8080` matches that port only.") with { DefaultNote = "any", Example = "[example.com]" },
        Text("routes.ID.match.pathPrefix", "`/api` matches `/api` and everything under `/api/` (not `/apix`).") with { DefaultNote = "`/`", Example = "/api" },
        Text("routes.ID.match.path", "an ASP.NET route template instead of a prefix: `/users/{id:int}`, `/files/{**rest}`. Not with `pathPrefix`.") with { DefaultNote = "—", Example = "/users/{id:int}" },
        Text("routes.ID.match.pathRegex", "a .NET regular expression the path must also match, e.g. `'^/items/[a-z]{3}$'` (50 ms match budget; a path that exceeds it does not match).") with { DefaultNote = "—", Example = "'^/items/[a-z]{3}$'" },
        List("routes.ID.match.methods", "e.g. `[GET, POST]`.") with { DefaultNote = "any", Example = "[GET, POST]" },
        .. ValueMatches("headers", "exact, prefix, contains, not-contains, exists, not-exists", ["exact", "prefix", "contains", "not-contains", "exists", "not-exists"], " `exists` needs a non-empty value."),
        .. ValueMatches("query", "exact, prefix, contains, not-contains, exists", ["exact", "prefix", "contains", "not-contains", "exists"], ""),
        .. ValueMatches("cookies", "exact, prefix, contains, not-contains, exists, not-exists", ["exact", "prefix", "contains", "not-contains", "exists", "not-exists"], " The first cookie of the name counts; an absent cookie meets `not-contains`."),
        List("routes.ID.match.device", "device classes the client must be one of, from `User-Agent` and the Client Hints `Sec-CH-UA-Mobile`, `Sec-CH-UA-Platform`. The route's responses then vary on the class.")
            with { Allowed = ["mobile", "tablet", "desktop", "bot"], DefaultNote = "any", Example = "[mobile, tablet]" },
        List("routes.ID.match.clientIps", "addresses or CIDR blocks the real client address (after `proxy.trustedProxies`) must be in.") with { DefaultNote = "any", Example = "[10.0.0.0/8, 2001:db8::/32]" },
        Duration("routes.ID.timeout", "deadline for the whole request; past it the client gets 504.") with { DefaultNote = "none" },
        Bool("routes.ID.retryNonIdempotent", false, "allow retrying POST/PATCH (see `clusters.ID.retries`)."),
        Bool("routes.ID.preserveHost", true, "send the client's `Host` to the backend (`false`: the destination's host)."),
        Int("routes.ID.order", -100_000, 100_000, "tie-breaker between equally specific routes; lower wins.") with { DefaultNote = "none" },
        Section("routes.ID.waf", "the [web application firewall](waf.md): `off`, `detect` (log what it would refuse, and forward it), `block` (refuse with 403), or a section with `mode` and overrides.")
            with { OrKind = ConfigKind.Enum, Allowed = WafModes, Default = "off" },
        OneOf("routes.ID.waf.mode", WafModes, "in the section form: `off`, `detect` or `block`.") with { Required = true, Example = "detect" },
        Int("routes.ID.waf.paranoia", 1, 4, "this route's CRS paranoia level.") with { DefaultNote = "`waf.paranoia`" },
        Int("routes.ID.waf.anomalyThreshold", 1, 10_000, "this route's CRS anomaly threshold.") with { DefaultNote = "`waf.anomalyThreshold`" },
        List("routes.ID.waf.excludeRules", "rule ids such as `920350` or id ranges such as `\"942100-942199\"`, removed for this route only.") with { DefaultNote = "none", Example = "[920350]" },
        OneOf("routes.ID.waf.requestBodyLimitAction", [WafBodyLimitActionNames.Reject, WafBodyLimitActionNames.InspectFirst], "what this route does with a body longer than `waf.requestBodyLimit`: `reject` (413) or `inspect-first`.") with { DefaultNote = "`waf.requestBodyLimitAction`" },
        Section("routes.ID.limits", "this route's request limits, replacing the global [`limits`](#limits) for it; header limits can only be lower.") with { DefaultNote = "global" },
        Size("routes.ID.limits.maxUrlLength", "longest request target: 414.") with { DefaultNote = "`limits.maxUrlLength`" },
        Int("routes.ID.limits.maxHeaderCount", 1, 10_000, "most header fields: 431; at most the global `limits.maxHeaderCount`.") with { DefaultNote = "`limits.maxHeaderCount`", Needs = [new("limits.maxHeaderCount", "10000")] },
        Size("routes.ID.limits.maxHeadersSize", "largest header section: 431; at most the global `limits.maxHeadersSize`.") with { DefaultNote = "`limits.maxHeadersSize`" },
        Size("routes.ID.limits.maxBodySize", "largest request body: 413.") with { DefaultNote = "`limits.maxBodySize`" },
        List("routes.ID.limits.methods", "the methods served; others get 405 with `Allow`.") with { DefaultNote = "`limits.methods`", Example = "[GET]" },
        .. IpRules("routes.ID", "this route"),
        Table("routes.ID.rateLimit", "Requests per client key; 429 past the limit. What the limiter does and the headers it sends: [Traffic filtering](traffic-filtering.md#rate-limiting).") with { DefaultNote = "none" },
        OneOf("routes.ID.rateLimit.algorithm", ["token-bucket", "sliding-window"], "`token-bucket` (bursts up to `limit`, refilled steadily) or `sliding-window` (at most `limit` requests in any `window`, moved in `segments` steps).") with { Default = "token-bucket" },
        Int("routes.ID.rateLimit.limit", 1, 1_000_000_000, "bucket size, or requests per window.") with { Required = true, Example = "100" },
        Duration("routes.ID.rateLimit.window", "the token bucket's refill period, or the sliding window's length.") with { Default = "1m" },
        Int("routes.ID.rateLimit.tokensPerPeriod", 1, 1_000_000_000, "token-bucket only: tokens added each `window`.") with { DefaultNote = "`limit`" },
        Int("routes.ID.rateLimit.segments", 1, 1000, "sliding-window only: steps the window moves in.") with { Default = "6", Needs = [new("algorithm", "sliding-window")] },
        Text("routes.ID.rateLimit.key", "`client-ip` (the real client address), `header:NAME`, `api-key` (`X-Api-Key`, or the credentials of `Authorization: Bearer …`/`ApiKey …`; only a digest is kept), or `claim:TYPE` (a claim of the authenticated user, from whatever authentication ran). A request without the header, key or claim is counted by its client address.") with { Default = "client-ip" },
        Section("routes.ID.cache", "serve the route through the shared cache: `cache: {}` or with the keys below; see [Cache](cache.md).") with { DefaultNote = "off" },
        Bool("routes.ID.cache.enabled", true, "`false` keeps the section but turns the cache off for the route."),
        Bool("routes.ID.cache.heuristic", true, "give a response without explicit freshness (no `max-age`, `s-maxage`, `Expires`) a lifetime of 10% of the time since its `Last-Modified`, at most 1 day, where RFC 9111 §4.2.2 permits (status 200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501, or `public`). `false`: such responses are stored only to be revalidated."),
        Bool("routes.ID.cache.collapse", true, "concurrent misses for one URL and coding wait for one origin request (see [Cache](cache.md))."),
        Section("routes.ID.compression", "compress responses for clients that accept it: `compression: {}` or with the keys below; see [Compression](cache.md#compression).") with { DefaultNote = "off" },
        Bool("routes.ID.compression.enabled", true, "`false` turns it off for the route."),
        List("routes.ID.compression.encodings", "codings offered, in Portico's order of preference when the client's q-values tie.") with { Allowed = ["zstd", "br", "gzip"], Default = "[zstd, br, gzip]" },
        List("routes.ID.compression.mimeTypes", "media types compressed (the `Content-Type` before any `;`, case-insensitive); `type/*` and `type/*+suffix` patterns.") with { Default = "[text/*, application/json, application/*+json, application/javascript, application/xml, application/*+xml, application/wasm, image/svg+xml, application/x-ndjson]" },
        Size("routes.ID.compression.minSize", "a body whose `Content-Length` is below this is sent as is. A body of unknown length is always compressed.") with { Default = "1KiB" },
        OneOf("routes.ID.compression.level", ["fastest", "optimal", "smallest"], "`fastest` (brotli 1, gzip 1, zstd 1), `optimal` (brotli 4, gzip 6, zstd 3) or `smallest` (brotli 11, gzip 9, zstd 19).") with { Default = "optimal" },
        Section("routes.ID.headers", "this route's header rules, run after the top-level [`headers`](#headers); see [Header rules](routing.md#header-rules).") with { DefaultNote = "none" },
        .. HeaderRules("routes.ID.headers"),
        Section("routes.ID.cors", "cross-origin requests from browsers (the Fetch standard's CORS protocol): Portico answers preflights itself and adds the CORS fields to this route's responses for allowed origins; see [CORS](routing.md#cors).") with { DefaultNote = "none" },
        List("routes.ID.cors.allowOrigins", "origins allowed: `https://app.example.com` (scheme://host[:port], no path), `https://*.example.com` (its subdomains, not itself) or `*` (any; not with `allowCredentials`).") with { Required = true, Example = "[https://app.example.com]" },
        List("routes.ID.cors.allowMethods", "methods a preflight allows.") with { Default = "[GET, HEAD, POST]" },
        List("routes.ID.cors.allowHeaders", "request headers a preflight allows (case-insensitive), or `*` for any (not with `allowCredentials`).") with { DefaultNote = "none", Example = "[Content-Type]" },
        Bool("routes.ID.cors.allowCredentials", false, "let pages send cookies and credentials (`Access-Control-Allow-Credentials: true`)."),
        List("routes.ID.cors.exposeHeaders", "response headers pages may read beyond the safelisted ones (`*`: any, not with `allowCredentials`).") with { DefaultNote = "none", Example = "[X-Request-Id]" },
        Duration("routes.ID.cors.maxAge", "how long a browser may reuse a preflight's answer (`Access-Control-Max-Age`, whole seconds).") with { DefaultNote = "not sent (the browser's default, 5s)" },
        Section("routes.ID.device", "send the client's device class (`mobile`, `tablet`, `desktop`, `bot`) to the backend: `device: {}` or with the keys below.") with { DefaultNote = "off" },
        Text("routes.ID.device.header", "the request header that carries the class; a client's own copy is replaced. A `Vary` naming it reaches clients as `Vary: User-Agent, Sec-CH-UA-Mobile, Sec-CH-UA-Platform`.") with { Default = "X-Device-Class" },
        Bool("routes.ID.device.vary", false, "every response of the route depends on the class: the cache keeps one variant per class, as if the backend sent `Vary` with the header."),
        Section("routes.ID.split", "send shares of the route's clients to other clusters (A/B tests, canaries), each client sticky to its arm. Not with `cache`.") with { DefaultNote = "none" },
        Items("routes.ID.split.arms", "the arms, in order: each a cluster and its weight. A client's sticky key hashes (XXH3) to a point in [0, 1); the arms own consecutive slices sized by weight, so changing weights by reload moves only the clients whose slice changed hands.")
            with { Required = true, Example = "[{ cluster: stable, weight: 90 }, { cluster: canary, weight: 10 }]" },
        Text("routes.ID.split.arms[].cluster", "the arm's cluster, also its name in the access log (`arm`), metrics and the admin API.") with { Required = true, Example = "canary" },
        Int("routes.ID.split.arms[].weight", 0, 1_000_000, "the arm's share, relative to the other arms' (0: only forced requests).") with { Required = true, Example = "10" },
        Text("routes.ID.split.sticky", "what keeps a client on its arm: `cookie` (Portico's cookie with a random client id, set on the first response), `client-ip`, `header:NAME` or `cookie:NAME` (a cookie the site sets). A request without the header or cookie is keyed by its client address.") with { Default = "cookie" },
        Text("routes.ID.split.cookie", "the name of Portico's cookie with `sticky: cookie` (Path=/, a year, HttpOnly, SameSite=Lax).") with { Default = "portico_split" },
        Section("routes.ID.split.force", "a request header or cookie whose value names an arm's cluster sends the request to that arm (a name that is no arm is ignored); the header wins.") with { DefaultNote = "none" },
        Text("routes.ID.split.force.header", "the header.") with { DefaultNote = "none", Example = "X-Portico-Arm" },
        Text("routes.ID.split.force.cookie", "the cookie.") with { DefaultNote = "none", Example = "portico_arm" },
        Items("routes.ID.redirects", "a redirect table: the first rule whose `path` or `pathRegex` matches the request path answers with a redirect; see [Redirects](routing.md#redirects).") with { DefaultNote = "none", Example = "[{ path: /old, to: /new, status: 301 }]" },
        Text("routes.ID.redirects[].path", "the exact request path (case-sensitive). Either this or `pathRegex`.") with { DefaultNote = "—", Example = "/old", Needs = [new("to", "/new")] },
        Text("routes.ID.redirects[].pathRegex", "a .NET regular expression on the request path (50 ms match budget); its groups are `{re.1}`, `{re.NAME}` in `to`.") with { DefaultNote = "—", Example = "'^/blog/(?<slug>[a-z0-9-]+)$'", Needs = [new("to", "/articles/{re.slug}")] },
        Text("routes.ID.redirects[].to", "the target (`Location`): a path (the client keeps its scheme and host) or an `http://`/`https://` URL, with [variables](routing.md#header-variables) and the rule's captures, percent-encoded where they land.") with { Required = true, Example = "/new", Needs = [new("path", "/old")] },
        Int("routes.ID.redirects[].status", 301, 308, "301, 302, 303, 307 or 308 (307 and 308 keep the method and body).") with { Default = "302", Needs = [new("path", "/old"), new("to", "/new")] },
        OneOf("routes.ID.redirects[].query", ["keep", "drop"], "`keep`: the request's query follows the target's own (after `&` when `to` has one); `drop`: it is left out.") with { Default = "keep", Needs = [new("path", "/old"), new("to", "/new")] },
        Section("routes.ID.normalize", "one spelling per path, reached by redirect: trailing slash and case.") with { DefaultNote = "none" },
        OneOf("routes.ID.normalize.trailingSlash", ["add", "remove", "keep"], "`add`: `/a` → `/a/` (not a last segment with a `.`, such as `/app.js`); `remove`: `/a/` → `/a` (not `/`).") with { Default = "keep" },
        Bool("routes.ID.normalize.lowercase", false, "redirect a path with upper-case letters to its lower-case form (escapes such as `%2F` kept)."),
        Int("routes.ID.normalize.status", 301, 308, "the redirect's status: 301, 302, 303, 307 or 308.") with { Default = "308" },
        Section("routes.ID.rewrite", "the path, query and `Host` the backend gets in place of the client's; `Location`, `Content-Location` and `Set-Cookie` are turned back on the way out. See [Rewrites](routing.md#rewrites).") with { DefaultNote = "none" },
        Text("routes.ID.rewrite.pathPrefix", "replaces the route's `match.pathPrefix` (`/` when it has none; not with `match.path`): `/v2` sends `/api/x` as `/v2/x`; `/` strips it. Not with `path`.") with { DefaultNote = "none", Example = "/v2" },
        Text("routes.ID.rewrite.pathRegex", "the path is rewritten only when it matches this .NET regular expression; its groups are `{re.1}`, `{re.NAME}` in `path`.") with { DefaultNote = "every path", Example = "'^/shop/(\\d+)$'", Needs = [new("path", "/items/{re.1}")] },
        Text("routes.ID.rewrite.path", "the new path, with [variables](routing.md#header-variables) and captures; a `?` in it starts parameters that come before the client's.") with { DefaultNote = "none", Example = "/v2{path}" },
        Section("routes.ID.rewrite.query", "query parameters: every `remove`, then every `set`, then every `append`; the others keep their bytes and order.") with { DefaultNote = "none" },
        List("routes.ID.rewrite.query.remove", "parameter names taken out.") with { DefaultNote = "none", Example = "[utm_source]" },
        Names("routes.ID.rewrite.query.set", "parameter name → value: the parameter gets this value alone.") with { DefaultNote = "none" },
        Text("routes.ID.rewrite.query.set.NAME", "the value, with variables (percent-encoded).") with { DefaultNote = "—", Example = "\"{client_ip}\"" },
        Names("routes.ID.rewrite.query.append", "parameter name → value added after the others.") with { DefaultNote = "none" },
        Text("routes.ID.rewrite.query.append.NAME", "the value, as for `set`.") with { DefaultNote = "—", Example = "web" },
        Text("routes.ID.rewrite.host", "the `Host` the backend gets, with variables; wins over `preserveHost`.") with { DefaultNote = "as `preserveHost` says", Example = "internal.example" },
    ];

    /// <summary>`match.headers` and `match.query`: NAME → a value, a list of values, or a section with a mode.</summary>
    private static IEnumerable<ConfigKey> ValueMatches(string key, string modes, IReadOnlyList<string> allowed, string remark) =>
    [
        Names($"routes.ID.match.{key}", $"conditions on {key switch { "headers" => "request headers", "query" => "query parameters", _ => "cookies" }}, by name.") with { DefaultNote = "—" },
        Section($"routes.ID.match.{key}.NAME", $"a value (exact match, case-insensitive), a list of values (any of them), or `{{ values: [...], mode: M, caseSensitive: false }}` with `M` one of {modes}.{remark}")
            with { OrKind = ConfigKind.List, DefaultNote = "—" },
        List($"routes.ID.match.{key}.NAME.values", "the values compared; none for `exists` and `not-exists`.") with { DefaultNote = "none", Example = "[v1]" },
        OneOf($"routes.ID.match.{key}.NAME.mode", allowed, "how the values are compared.") with { Default = "exact", Needs = [new("values", "[v1]")] },
        Bool($"routes.ID.match.{key}.NAME.caseSensitive", false, "compare values case-sensitively.") with { Needs = [new("values", "[v1]")] },
    ];
}
