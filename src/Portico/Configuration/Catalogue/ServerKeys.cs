using Portico.Configuration.Model;
using static Portico.Configuration.Catalogue.Keys;

namespace Portico.Configuration.Catalogue;

/// <summary>The top-level sections that are not listeners, routes or clusters: proxy, admin, accessLog, tracing, waf, cache, limits, acme, headers, auth, redis.</summary>
internal static class ServerKeys
{
    public static IEnumerable<ConfigKey> All =>
    [
        Table("proxy", "Behaviour shared by every route."),
        List("proxy.trustedProxies", "IP addresses or CIDR blocks (`10.0.0.0/8`, `::1`). From these peers, the client's `X-Forwarded-*`/`Forwarded` values are kept and appended to, and the client address is the right-most untrusted `X-Forwarded-For` entry. From anyone else they are replaced.") with { DefaultNote = "none", Example = "[10.0.0.0/8]" },
        List("proxy.hideResponseHeaders", "backend response headers removed before the client sees them. `[]` keeps them all. Portico itself never sends `Server`.") with { Default = "[Server, X-Powered-By, X-AspNet-Version, X-AspNetMvc-Version, X-Runtime, X-Generator, Via]" },
        List("proxy.forwardedHeaders", "which headers tell the backend about the client: `x-forwarded` (`X-Forwarded-For/-Proto/-Host`) and/or `forwarded` (RFC 7239). `[]` sends neither.") with { Allowed = ["x-forwarded", "forwarded"], Default = "[x-forwarded, forwarded]" },
        Duration("proxy.shutdownGracePeriod", "how long in-flight requests may finish after SIGTERM (after `shutdownDelay`).") with { Default = "30s" },
        Duration("proxy.shutdownDelay", "on SIGTERM, how long the listeners keep accepting new connections while the admin listener's `/readyz` answers 503, so a load balancer that checks it stops sending first; then they close and `shutdownGracePeriod` starts. Set it to the balancer's check interval times its fall count. Read at start.") with { Default = "0s", Example = "6s" },

        Table("admin", "The admin listener: the API, `/metrics` and the dashboard ([observability](observability.md))."),
        Text("admin.address", "where the admin listener binds: API, `/metrics` and the dashboard. It never serves proxied routes, and the proxy's listeners never serve admin paths.") with { Default = "127.0.0.1:9090" },
        Bool("admin.enabled", true, "`false` turns the admin listener off."),
        Text("admin.token", "at least 16 characters; every `/api/…` and `/metrics` request must then send `Authorization: Bearer TOKEN` (or `?token=TOKEN`, which the dashboard uses). The dashboard's static files are served without it; it is redacted from `/api/config`.") with { DefaultNote = "none" },

        Table("accessLog", "One line per request ([observability](observability.md#access-log))."),
        Bool("accessLog.enabled", true, "one line per request."),
        OneOf("accessLog.format", ["json", "combined"], "`json` or `combined` (the NCSA combined format nginx and Apache write).") with { Default = "json" },
        Text("accessLog.output", "`stdout` or a file path.") with { Default = "stdout" },
        Size("accessLog.maxSize", "a file log past this size is rotated: FILE → FILE.1 → … (sizes: `64KiB`, `10MiB`, `1GiB`; at least `4KiB`).") with { Default = "100MiB" },
        Int("accessLog.keep", 0, 100, "rotated files kept. SIGHUP also reopens the file, for external rotation tools.") with { Default = "5", Unit = "files" },

        Table("tracing", "OpenTelemetry spans exported over OTLP ([observability](observability.md#request-ids-and-tracing))."),
        Text("tracing.otlpEndpoint", "an OTLP/HTTP collector (`http://127.0.0.1:4318`): Portico then records a span per request and per backend exchange and exports them (http/protobuf to `/v1/traces`).") with { DefaultNote = "none", Example = "http://127.0.0.1:4318" },
        Text("tracing.serviceName", "the `service.name` of the spans and metrics.") with { Default = "portico" },
        Number("tracing.sampleRatio", 0, 1, "share of new traces recorded; a sampled or unsampled parent is always followed.") with { Default = "1.0" },

        Table("waf", "What every route with a `waf` shares; the section is optional. See [Web application firewall](waf.md)."),
        Text("waf.crs", "folder of the OWASP Core Rule Set; its `rules/REQUEST-*.conf` are loaded, in name order. `off`: no CRS (then `rules` is required).") with { Default = "/usr/share/modsecurity-crs" },
        List("waf.setup", "your rule files loaded *before* the CRS: CRS policy variables (the `SecAction`s of `crs-setup.conf`, e.g. `900220` for allowed content types) and exclusions that must precede it.") with { DefaultNote = "none", Example = "[waf-setup.conf]" },
        List("waf.rules", "your own rule files, loaded *after* the CRS (your rules, `SecRuleRemoveById`, `SecRuleUpdateTargetById`).") with { DefaultNote = "none", Example = "[waf-rules.conf]" },
        Int("waf.paranoia", 1, 4, "CRS paranoia level: higher catches more and refuses more ordinary traffic.") with { Default = "1" },
        Int("waf.anomalyThreshold", 1, 10_000, "CRS inbound anomaly score at which a request is refused (a critical match scores 5, an error 4, a warning 3, a notice 2).") with { Default = "5" },
        List("waf.allowedMethods", "CRS's method policy (rule 911100), methods in capitals. The CRS alone allows only GET, HEAD, POST and OPTIONS, which would refuse REST APIs.") with { Default = "[GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE]" },
        Size("waf.requestBodyLimit", "bytes of a request body the engine inspects (1KiB–1GiB). What a longer body gets is `requestBodyLimitAction`.") with { Default = "128KiB" },
        OneOf("waf.requestBodyLimitAction", [WafBodyLimitActionNames.Reject, WafBodyLimitActionNames.InspectFirst], "a body longer than `requestBodyLimit`: `reject` refuses it with 413 in `block` (in `detect` it is forwarded and logged), as ModSecurity recommends; `inspect-first` inspects its first `requestBodyLimit` bytes and streams the rest on uninspected. A route may override it.") with { Default = WafBodyLimitActionNames.Reject },
        Text("waf.auditLog", "`stdout` or a file path (appended; reopened on SIGHUP): one JSON line per blocked or detected request.") with { Default = "stdout" },

        Table("cache", "The store shared by every route that has a `cache` section (see [Cache](cache.md))."),
        Size("cache.maxSize", "bytes the store may hold (bodies plus headers, at least `64KiB`); past it, the least recently used URLs (with all their variants) are evicted.") with { Default = "256MiB" },
        Size("cache.maxObjectSize", "largest body stored; a larger response streams through to the client uncached. Not more than `maxSize`.") with { Default = "8MiB", DefaultNote = " (or `maxSize` if smaller)" },
        Duration("cache.collapseTimeout", "how long a request waits for the response headers of an identical request already on its way to the origin before going itself.") with { Default = "10s" },
        Text("cache.targetedField", "a response field whose directives target Portico's cache (RFC 9213), read before `CDN-Cache-Control`, which Portico always reads: the first of them present and valid replaces `Cache-Control` and `Expires` for Portico's cache. Both are forwarded; list yours in `proxy.hideResponseHeaders` to keep it from clients.") with { DefaultNote = "none", Example = "Portico-Cache-Control" },
        Text("cache.tagField", "the response field by which backends tag responses for purging by tag (`POST /api/cache/purge?tag=T`): tags separated by commas or spaces, so both Cloudflare's `Cache-Tag: a,b` and Fastly's `Surrogate-Key: a b` read. Portico removes the field from every response of a cached route, stored or not.") with { Default = "Cache-Tag", Example = "Surrogate-Key" },
        Table("cache.disk", "A disk tier behind the memory tier ([Cache](cache.md#disk-tier)): larger than memory, kept across restarts, crash-safe. Read at start; changing it needs a restart."),
        Text("cache.disk.dir", "the tier's directory (relative to the config file's folder), created when missing; Portico must be able to write it. One file per stored variant; nothing else should write there. *Restart.*") with { Required = true, Example = "/var/cache/portico" },
        Size("cache.disk.maxSize", "bytes of files the tier may hold (at least `1MiB`); past it, the least recently used URLs (with all their variants) are deleted. *Restart.*") with { Default = "10GiB" },
        Size("cache.disk.maxObjectSize", "largest body the tier stores; may exceed the memory tier's `cache.maxObjectSize` (such bodies are streamed from disk). Not more than `disk.maxSize`. *Restart.*") with { Default = "1GiB", DefaultNote = " (or `disk.maxSize` if smaller)" },

        Table("cache.shared", "The shared tier in Redis behind the local tiers ([Redis](redis.md#shared-cache-tier)): a response one instance stored is a hit on every other, and purges reach every instance. On whenever a top-level `redis` section exists; this section needs one (or `enabled: false`)."),
        Bool("cache.shared.enabled", true, "use the shared tier when a `redis` section exists; `false` keeps every instance's cache to itself, as without Redis."),
        Size("cache.shared.maxObjectSize", "largest body put in Redis; larger responses stay in this instance's tiers only. Not more than `cache.maxObjectSize` (a shared hit is promoted into the memory tier).") with { Default = "1MiB", DefaultNote = " (or `cache.maxObjectSize` if smaller)" },
        Duration("cache.shared.keepStale", "how long past its freshness and its `stale-while-revalidate` / `stale-if-error` a response with a validator (`ETag`, `Last-Modified`) stays in Redis, so another instance revalidates it (304) rather than fetching it whole; `0s` keeps nothing past those allowances.") with { Default = "10m" },
        Duration("cache.shared.purgeWait", "how long a purge on the admin API waits for every live instance to confirm it; the answer says which did.") with { Default = "2s" },

        Table("limits", "What every request and connection must stay within ([traffic filtering](traffic-filtering.md)). Keys marked *route* can be set again under `routes.ID.limits`, where they replace the global value for that route (header limits there can only be lower); keys marked *restart* take effect on restart."),
        Size("limits.maxRequestLine", "longest request line (method, target, version), 256 bytes to 1MiB. Past it: 414 and the connection closes. *Restart.*") with { Default = "8KiB" },
        Int("limits.maxHeaderCount", 1, 10_000, "most header fields in a request: 431, connection closed. *Restart; route (lower only).*") with { Default = "100" },
        Size("limits.maxHeadersSize", "largest header section, every `name: value` line with its CRLF: 431, connection closed. *Restart; route (lower only).*") with { Default = "32KiB" },
        Size("limits.maxUrlLength", "longest request target (path and query): 414. At most `maxRequestLine`. *Route.*") with { DefaultNote = "none" },
        Size("limits.maxBodySize", "largest request body: 413. A `Content-Length` above it is refused before anything is forwarded; a body without one (chunked, HTTP/2) is counted as it streams and the request is cut at the first byte over, answered 413 unless the backend already answered. The connection closes. *Route.*") with { DefaultNote = "unlimited" },
        List("limits.methods", "the methods served, e.g. `[GET, POST]`; others get 405 with `Allow`. Unlike `match.methods` (which only decides whether a route matches), this refuses. *Route.*") with { DefaultNote = "any", Example = "[GET, POST]" },
        List("limits.hosts", "the `Host` values served: names, `*.example.com` (any subdomain), `name:port` (that port only). Others get 421 Misdirected Request.") with { DefaultNote = "any", Example = "[example.com]" },
        OneOf("limits.underscoreHeaders", ["drop", "reject", "allow"], "header names with `_` (`X_Real_IP`, `Transfer_Encoding`), which some backends read as their `-` twins: `drop` removes them before forwarding, `reject` answers 400 and closes the connection, `allow` passes them on.") with { Default = "drop" },
        Duration("limits.headersTimeout", "time from a request's first byte to the end of its header section. A client trickling its headers (slowloris) gets 408 and is disconnected; other clients are unaffected. *Restart.*") with { Default = "30s" },
        Size("limits.minBodyRate", "bytes per second a client must keep up while sending a body (after the grace period); slower clients are disconnected. `0` turns it off. *Restart.*") with { Default = "240", Unit = "bytes per second" },
        Duration("limits.minBodyRateGrace", "how long a body may start slowly; more than `1s`. *Restart.*") with { Default = "5s" },
        Duration("limits.keepAliveTimeout", "how long an idle keep-alive connection stays open. *Restart.*") with { Default = "130s" },
        Int("limits.maxConnections", 1, int.MaxValue, "open client connections in total; more are closed at once. *Restart.*") with { DefaultNote = "unlimited" },
        Int("limits.maxConnectionsPerIp", 1, int.MaxValue, "open connections from one TCP peer address (no header is read yet, so a trusted proxy counts as one peer); more are closed at once without an answer.") with { DefaultNote = "unlimited" },

        Table("acme", "How certificates for the hosts in a listener's `tls.acme` are obtained ([TLS and ACME](tls.md#acme)). Read at start-up; changing it needs a restart."),
        Text("acme.directory", "the CA's directory URL (`https://`).") with { Default = "https://acme-v02.api.letsencrypt.org/directory" },
        Text("acme.email", "account contact (`mailto:`), for the CA's expiry notices.") with { DefaultNote = "none", Example = "ops@example.com" },
        Text("acme.storage", "`account.key.pem` and `certificates/HOST.pem` (chain) + `HOST.key.pem`. Keys are written with mode `0600` in `0700` folders, via a temporary file and a rename. Relative to the config file.") with { Default = "acme", DefaultNote = " beside the config file" },
        Duration("acme.renewBefore", "renew when a certificate has less than this left.") with { Default = "30d" },
        Duration("acme.retryBackoff", "wait after a failed attempt; doubles with each failure in a row …") with { Default = "1m" },
        Duration("acme.maxRetryBackoff", "… up to this.") with { Default = "6h" },
        Text("acme.ca", "PEM bundle trusted for the ACME server's own HTTPS (a private CA).") with { DefaultNote = "system store" },
        OneOf("acme.challenge", ["http-01", "tls-alpn-01"], "`http-01` (RFC 8555 §8.3): answered at `/.well-known/acme-challenge/TOKEN` on every plain-text listener, before any redirect; one must exist and, for a public CA, be reachable on port 80. `tls-alpn-01` (RFC 8737): answered in the HTTPS listener's own handshake (port 443 for a public CA), so no plain listener is needed.") with { Default = "http-01" },
        Table("headers", "Header rules for every route, run before each route's own `headers` (and for the 404 when no route matches). See [Header rules](routing.md#header-rules).") with { DefaultNote = "none" },
        .. HeaderRules("headers"),

        Table("auth", "What every route's `auth` shares ([Authentication](auth.md#oidc-login)).") with { DefaultNote = "none" },
        Section("auth.dataProtection", "the key ring that encrypts OIDC session cookies and login state; kept on disk so a restart keeps sessions. A route with `auth.oidc` needs it, unless a top-level `redis` section keeps the ring in Redis for every instance sharing it.") with { DefaultNote = "none" },
        Text("auth.dataProtection.keysDir", "the key ring's directory, relative to the config file; created (mode `0700`) when missing. Keys are written unencrypted: keep the directory readable by Portico only.") with { Required = true, Example = "keys" },
        Names("errorPages", "Custom pages for the answers Portico gives itself (400, 401, 403, 404, 405, 413, 414, 421, 429, 431, 502, 503, 504 ...), by status, on every route and when no route matches; a route's own `errorPages` win. See [Error and maintenance pages](operations.md#error-and-maintenance-pages).") with { Table = true, DefaultNote = "Portico's own pages (HTML, or JSON when `Accept` names json)" },
        Section("errorPages.STATUS", "the page for one status (400–599): `file` or `body`, with `template` and `contentType`.") with { DefaultNote = "—" },
        .. Page("errorPages.STATUS"),

        Table("redis", "The Redis server several Portico instances share state through: rate-limit counters and, without `auth.dataProtection`, the OIDC session key ring ([Redis](redis.md)). Without it each instance keeps its state to itself and nothing Redis-related runs. When Redis is down or slow, requests are still served (from per-instance state) and shared mode resumes by itself. A change reconnects.") with { DefaultNote = "none" },
        List("redis.endpoints", "`host:port` of the server; more than one for a primary and its replicas.") with { Required = true, Example = "[\"127.0.0.1:6379\"]" },
        Text("redis.user", "ACL user name (Redis 6 `AUTH user password`).") with { DefaultNote = "none (the `default` user)" },
        Text("redis.password", "the password.") with { DefaultNote = "none" },
        Text("redis.passwordFile", "a file holding the password (a final newline is dropped), relative to the config file, read at load; instead of `password`.") with { DefaultNote = "none" },
        Section("redis.tls", "connect over TLS, verifying the server's certificate; `tls: {}` trusts the system store.") with { DefaultNote = "none (plain TCP)" },
        Text("redis.tls.ca", "PEM file of the CA(s) the server's certificate must chain to, relative to the config file.") with { DefaultNote = "the system store" },
        Text("redis.tls.serverName", "the name sent in SNI and matched against the certificate.") with { DefaultNote = "the endpoint's host" },
        Int("redis.database", 0, 10_000, "the logical database (`SELECT`).") with { Default = "0" },
        Text("redis.keyPrefix", "put before every key and pub/sub channel Portico uses; give each deployment sharing a server its own.") with { Default = "portico:" },
        Duration("redis.connectTimeout", "one connection attempt.") with { Default = "5s" },
        Duration("redis.operationTimeout", "one command; past it the command counts as failed and the request goes on with per-instance state.") with { Default = "1s" },
        Int("redis.breakAfter", 1, 1000, "failed commands in a row that open the circuit breaker; while open, no command is sent.") with { Default = "5" },
        Duration("redis.breakFor", "how long the breaker stays open before one probe command may try; it closes when a probe succeeds.") with { Default = "5s" },
        Duration("redis.heartbeat", "how often an instance announces itself in Redis; one is counted live for three of these.") with { Default = "5s" },
    ];
}
