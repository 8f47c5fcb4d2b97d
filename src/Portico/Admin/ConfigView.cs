using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.FastPath;
using Portico.Headers;
using Portico.Pages;

namespace Portico.Admin;

/// <summary>The running config as JSON-friendly values, with secrets (the admin token, certificate passwords) redacted.</summary>
internal static class ConfigView
{
    public const string Redacted = "(redacted)";

    public static object From(PorticoSettings s) => new
    {
        listeners = s.Listeners.ToDictionary(l => l.Name, l => new
        {
            address = l.EndPoint.ToString(),
            protocols = Enum.GetValues<ListenerProtocols>().Where(p => l.Protocols.HasFlag(p)).Select(p => p.ToString().ToLowerInvariant()),
            redirectToHttps = l.RedirectToHttpsPort,
            ipRules = IpRules(l.IpRules),
            tls = l.Tls is { } tls ? new
            {
                certificates = tls.Certificates.Select(Source),
                acme = tls.AcmeHosts,
                clientCertificate = tls.ClientCertificate is { } cc ? new { mode = cc.Required ? "required" : "optional", ca = cc.CaPath, cc.ForwardHeaders } : null,
                hsts = tls.Hsts.Select(h => new { h.Hosts, maxAge = Duration.Format(h.MaxAge), h.IncludeSubDomains, h.Preload }),
            } : null,
        }),
        proxy = new
        {
            trustedProxies = s.Proxy.TrustedProxies.Select(n => n.ToString()),
            hideResponseHeaders = s.Proxy.HideResponseHeaders,
            forwardedHeaders = s.Proxy.ForwardedHeaders.ToString(),
            shutdownGracePeriod = Duration.Format(s.Proxy.ShutdownGracePeriod),
            shutdownDelay = Duration.Format(s.Proxy.ShutdownDelay),
            releaseMemoryAfter = Duration.Format(s.Proxy.ReleaseMemoryAfter),
        },
        routes = s.Routes.ToDictionary(r => r.Id, r => Route(r, s)),
        clusters = s.Clusters.ToDictionary(c => c.Id, Cluster),
        admin = new { address = s.Admin.EndPoint.ToString(), enabled = s.Admin.Enabled, token = s.Admin.Token is null ? null : Redacted },
        accessLog = new { enabled = s.AccessLog.Enabled, format = s.AccessLog.Format.ToString().ToLowerInvariant(), output = s.AccessLog.Output, maxSizeBytes = s.AccessLog.MaxSizeBytes, keep = s.AccessLog.Keep },
        acme = s.Acme is { } acme ? new
        {
            directory = acme.Directory.ToString(),
            acme.Email,
            storage = acme.StoragePath,
            renewBefore = Duration.Format(acme.RenewBefore),
            retryBackoff = Duration.Format(acme.RetryBackoff),
            maxRetryBackoff = Duration.Format(acme.MaxRetryBackoff),
            ca = acme.CaPath,
        } : null,
        cache = new
        {
            maxSizeBytes = s.Cache.MaxSizeBytes,
            maxObjectSizeBytes = s.Cache.MaxObjectSizeBytes,
            collapseTimeout = Duration.Format(s.Cache.CollapseTimeout),
            disk = s.Cache.Disk is { } disk ? new { dir = disk.Directory, maxSizeBytes = disk.MaxSizeBytes, maxObjectSizeBytes = disk.MaxObjectSizeBytes } : null,
        },
        tracing = new { otlpEndpoint = s.Tracing.OtlpEndpoint?.ToString(), serviceName = s.Tracing.ServiceName, sampleRatio = s.Tracing.SampleRatio },
        waf = new
        {
            crs = s.Waf.CrsDirectory ?? "off",
            setup = s.Waf.SetupFiles,
            rules = s.Waf.RuleFiles,
            paranoia = s.Waf.Paranoia,
            anomalyThreshold = s.Waf.AnomalyThreshold,
            allowedMethods = s.Waf.AllowedMethods,
            requestBodyLimitBytes = s.Waf.RequestBodyLimit,
            requestBodyLimitAction = WafBodyLimitActionNames.Of(s.Waf.RequestBodyLimitAction),
            auditLog = s.Waf.AuditLog,
        },
        limits = Limits(s.Limits),
        errorPages = PagesView.Pages(s.ErrorPages),
        redis = s.Redis is { } redis ? new
        {
            redis.Endpoints,
            redis.User,
            password = redis.Password is null ? null : Redacted,
            redis.PasswordFile,
            tls = redis.Tls is { } tls ? new { ca = tls.CaFile, tls.ServerName } : null,
            redis.Database,
            redis.KeyPrefix,
            connectTimeout = Duration.Format(redis.ConnectTimeout),
            operationTimeout = Duration.Format(redis.OperationTimeout),
            redis.BreakAfter,
            breakFor = Duration.Format(redis.BreakFor),
            heartbeat = Duration.Format(redis.Heartbeat),
        } : null,
    };

    private static object Limits(LimitsSettings l) => new
    {
        l.MaxRequestLine,
        l.MaxHeaderCount,
        l.MaxHeadersSize,
        l.MaxUrlLength,
        l.MaxBodySize,
        l.Methods,
        l.Hosts,
        underscoreHeaders = l.UnderscoreHeaders.ToString().ToLowerInvariant(),
        headersTimeout = Duration.Format(l.HeadersTimeout),
        l.MinBodyRate,
        minBodyRateGrace = Duration.Format(l.MinBodyRateGrace),
        keepAliveTimeout = Duration.Format(l.KeepAliveTimeout),
        l.MaxConnections,
        l.MaxConnectionsPerIp,
    };

    private static object? IpRules(IpRulesSettings? rules)
        => rules is null ? null : new { allow = rules.Allow.Select(n => n.ToString()), deny = rules.Deny.Select(n => n.ToString()) };

    /// <summary>A route's settings; with <paramref name="switches"/>, whether it is in maintenance now.</summary>
    public static object Route(RouteSettings r, PorticoSettings s, MaintenanceSwitches? switches = null) => new
    {
        cluster = r.Cluster,
        fastPath = FastRoutes.Explain(r, s),
        match = new
        {
            hosts = r.Match.Hosts,
            path = r.Match.Path,
            pathPrefix = r.Match.PathPrefix,
            pathRegex = r.Match.PathRegex?.ToString(),
            methods = r.Match.Methods,
            headers = r.Match.Headers.ToDictionary(h => h.Name, h => new { values = h.Values, mode = h.Mode.ToString() }),
            query = r.Match.Query.ToDictionary(q => q.Name, q => new { values = q.Values, mode = q.Mode.ToString() }),
            cookies = r.Match.Cookies.ToDictionary(c => c.Name, c => new { values = c.Values, mode = c.Mode.ToString() }),
            device = DeviceClassNames.All.Where(n => (r.Match.Device & DeviceClassNames.Parse(n)!.Value) != 0),
            clientIps = r.Match.ClientIps.Select(n => n.ToString()),
        },
        device = r.Device is { } d ? new { header = d.Header, vary = d.Vary } : null,
        timeout = r.Timeout is { } t ? Duration.Format(t) : null,
        retryNonIdempotent = r.RetryNonIdempotent,
        preserveHost = r.PreserveHost,
        order = r.Order,
        waf = new { mode = r.Waf.Mode.ToString().ToLowerInvariant(), paranoia = r.Waf.Paranoia, anomalyThreshold = r.Waf.AnomalyThreshold, excludeRules = r.Waf.ExcludeRules, requestBodyLimitAction = r.Waf.RequestBodyLimitAction is { } action ? WafBodyLimitActionNames.Of(action) : null },
        limits = r.Limits,
        ipRules = IpRules(r.IpRules),
        rateLimit = r.RateLimit is { } l ? new { algorithm = l.Algorithm.ToString(), l.Limit, window = Duration.Format(l.Window), tokensPerPeriod = l.RefillTokens, l.Segments, key = l.Key.Kind + (l.Key.Name.Length > 0 ? ":" + l.Key.Name : "") } : null,
        split = r.Split is { } sp
            ? new { arms = sp.Arms.Select(a => new { cluster = a.Cluster, weight = a.Weight, share = Math.Round(a.Weight / (double)sp.Arms.Sum(x => x.Weight), 4) }), sticky = sp.Sticky is { } k ? (k.Source == LoadBalancing.HashKeySource.ClientIp ? "client-ip" : $"{k.Source.ToString().ToLowerInvariant()}:{k.Name}") : "cookie", cookie = sp.Cookie, force = new { header = sp.ForceHeader, cookie = sp.ForceCookie } }
            : null,
        redirects = r.Redirects.Select(x => new { path = x.Path, pathRegex = x.PathRegex?.ToString(), to = TemplateParser.Format(x.To), status = x.Status, query = x.KeepQuery ? "keep" : "drop" }),
        normalize = r.Normalize is { } n ? new { trailingSlash = n.TrailingSlash.ToString().ToLowerInvariant(), lowercase = n.Lowercase, status = n.Status } : null,
        rewrite = r.Rewrite is { } rw
            ? new
            {
                pathPrefix = rw.PathPrefix,
                pathRegex = rw.PathRegex?.ToString(),
                path = rw.Path is { } p ? TemplateParser.Format(p) : null,
                query = new
                {
                    remove = rw.Query.Where(q => q.Action == HeaderAction.Remove).Select(q => q.Name),
                    set = QueryValues(rw.Query, HeaderAction.Set),
                    append = QueryValues(rw.Query, HeaderAction.Append),
                },
                host = rw.Host is { } h ? TemplateParser.Format(h) : null,
            }
            : null,
        mirror = r.Mirror is { } mi
            ? new { cluster = mi.Cluster, percent = mi.Percent, maxBodySizeBytes = mi.MaxBodySize, queue = mi.Queue, concurrency = mi.Concurrency, timeout = Duration.Format(mi.Timeout) }
            : null,
        cache = r.Cache is { } c ? new { heuristic = c.Heuristic, collapse = c.Collapse } : null,
        compression = r.Compression is { } z
            ? new { encodings = z.Encodings, mimeTypes = z.MimeTypes, minSizeBytes = z.MinSizeBytes, level = z.Level.ToString().ToLowerInvariant() }
            : null,
        bodyRewrite = r.BodyRewrite is { } w
            ? new { mimeTypes = w.MimeTypes, rules = w.Rules.Select(x => new { find = x.Find, regex = x.Regex?.ToString(), replace = x.Replace }), maxMatchLength = w.MaxMatchLength, requestIdentity = w.RequestIdentity }
            : null,
        auth = r.Auth is { } a ? Auth(a) : null,
        errorPages = PagesView.Pages(r.ErrorPages),
        interceptErrors = r.InterceptErrors,
        maintenance = PagesView.Maintenance(r, switches),
    };

    private static Dictionary<string, string> QueryValues(IReadOnlyList<HeaderRule> rules, HeaderAction action)
        => rules.Where(q => q.Action == action && q.Value is not null).ToDictionary(q => q.Name, q => TemplateParser.Format(q.Value!), StringComparer.Ordinal);

    /// <summary>A route's auth without its secrets: key names and scopes, never their hashes.</summary>
    private static object Auth(RouteAuthSettings a) => new
    {
        schemes = a.Schemes(),
        apiKey = a.ApiKey is { } k ? new { header = k.Header, query = k.Query, keys = k.Keys.Select(key => new { name = key.Name, scopes = key.Scopes }), keyFile = k.KeyFile } : null,
        basic = a.Basic is { } b ? new { realm = b.Realm, htpasswd = b.Htpasswd } : null,
        jwt = a.Jwt is { } j ? new
        {
            issuer = j.Issuers,
            audience = j.Audiences,
            jwksUrl = j.JwksUrl?.ToString(),
            publicKeys = j.PublicKeys,
            algorithms = j.Algorithms,
            clockSkew = Duration.Format(j.ClockSkew),
            jwksRefresh = Duration.Format(j.JwksRefresh),
            jwksMinRefresh = Duration.Format(j.JwksMinRefresh),
            nameClaim = j.NameClaim,
            roleClaim = j.RoleClaim,
        } : null,
        forwardAuth = a.ForwardAuth is { } fa ? new
        {
            url = fa.Url.ToString(),
            method = fa.Method,
            requestHeaders = fa.RequestHeaders,
            responseHeaders = fa.ResponseHeaders,
            userHeader = fa.UserHeader,
            timeout = Duration.Format(fa.Timeout),
            unavailableStatus = fa.UnavailableStatus,
            cacheFor = Duration.Format(fa.CacheFor),
        } : null,
        clientCertificate = a.ClientCertificate,
        oidc = a.Oidc is { } o ? new
        {
            authority = o.Authority.ToString(),
            clientId = o.ClientId,
            clientSecretFile = o.ClientSecretFile,
            scopes = o.Scopes,
            callbackPath = o.CallbackPath,
            logoutPath = o.LogoutPath,
            postLogoutRedirect = o.PostLogoutRedirect,
            providerLogout = o.ProviderLogout,
            cookie = o.Cookie,
            sessionLifetime = Duration.Format(o.SessionLifetime),
            refreshBefore = Duration.Format(o.RefreshBefore),
            userClaim = o.UserClaim,
        } : null,
        allow = a.Allow.Select(rule => new
        {
            rule.Schemes,
            rule.Users,
            rule.ApiKeys,
            rule.Scopes,
            rule.Roles,
            claims = rule.Claims.ToDictionary(c => c.Type, c => c.Values),
            rule.ClientCertSubjects,
            ipRanges = rule.IpRanges.Select(n => n.ToString()),
        }),
        identityHeaders = new { user = a.IdentityHeaders.User, scheme = a.IdentityHeaders.Scheme, claims = a.IdentityHeaders.Claims.ToDictionary(c => c.Key, c => c.Value) },
        forwardCredentials = a.ForwardCredentials,
        failedAttempts = a.FailedAttempts is { } f ? new { limit = f.Limit, window = Duration.Format(f.Window) } : null,
    };

    private static object Cluster(ClusterSettings c) => new
    {
        loadBalancing = c.LoadBalancing,
        hashKey = c.LoadBalancing == Portico.LoadBalancing.PolicyNames.ConsistentHash ? c.HashKey : null,
        retries = c.Retries,
        timeout = c.Timeout is { } t ? Duration.Format(t) : null,
        connectTimeout = Duration.Format(c.ConnectTimeout),
        http = new { version = c.HttpVersion, maxConnectionsPerServer = c.MaxConnectionsPerServer },
        tls = c.Tls is { } tls ? new { ca = tls.CaPath, tls.InsecureSkipVerify, clientCertificate = tls.ClientCertificate is { } cc ? Source(cc) : null } : null,
        destinations = c.Destinations.Select(d => new { name = d.Name, address = d.Address.ToString(), weight = d.Weight }),
        discovery = c.Discovery is { } dns ? new { dns = dns.Name, dns.Port, resolver = dns.Resolver?.ToString(), minRefresh = Duration.Format(dns.MinRefresh), maxRefresh = Duration.Format(dns.MaxRefresh) } : null,
        healthCheck = new
        {
            active = c.ActiveHealth is { } a ? new { path = a.Path, interval = Duration.Format(a.Interval), timeout = Duration.Format(a.Timeout), a.HealthyThreshold, a.UnhealthyThreshold, expectedStatus = a.ExpectedStatus.Select(r => r.ToString()) } : null,
            passive = c.PassiveHealth is { } p ? new { p.ConsecutiveFailures, p.FailureRate, window = Duration.Format(p.Window), p.MinimumRequests, reactivateAfter = Duration.Format(p.ReactivateAfter), p.CountServerErrors } : null,
        },
    };

    private static object Source(CertificateSource c) => new { cert = c.CertPath, key = c.KeyPath, pfx = c.PfxPath, password = c.Password is null ? null : Redacted };
}
