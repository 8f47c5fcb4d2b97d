namespace Portico.Configuration.Model;

/// <summary>
/// The top-level `limits` section: what every request and connection must stay within. The
/// request-line and header ceilings, timeouts and connection caps are server-wide; the keys
/// <see cref="RouteLimitsSettings"/> repeats can be overridden per route.
/// </summary>
internal sealed record LimitsSettings
{
    /// <summary>`maxRequestLine`: longest request line (method, target, version); 414 past it. Default 8KiB.</summary>
    public long MaxRequestLine { get; init; } = 8 * 1024;

    /// <summary>`maxHeaderCount`: most header fields in one request; 431 past it. Default 100.</summary>
    public int MaxHeaderCount { get; init; } = 100;

    /// <summary>`maxHeadersSize`: largest header section (every "name: value" line); 431 past it. Default 32KiB.</summary>
    public long MaxHeadersSize { get; init; } = 32 * 1024;

    /// <summary>`maxUrlLength`: longest request target (path and query); 414 past it. Default: none beyond maxRequestLine.</summary>
    public long? MaxUrlLength { get; init; }

    /// <summary>`maxBodySize`: largest request body; 413 past it. Default unlimited.</summary>
    public long? MaxBodySize { get; init; }

    /// <summary>`methods`: the methods served; others get 405. Default: any.</summary>
    public IReadOnlyList<string> Methods { get; init; } = [];

    /// <summary>`hosts`: the Host values served (name, optional ":port", "*." wildcards); others get 421. Default: any.</summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];

    /// <summary>`underscoreHeaders`: what to do with header names containing '_': drop (default), reject (400) or allow.</summary>
    public UnderscoreHeaderPolicy UnderscoreHeaders { get; init; } = UnderscoreHeaderPolicy.Drop;

    /// <summary>`headersTimeout`: time from a request's first byte to the end of its header section. Default 30s.</summary>
    public TimeSpan HeadersTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>`minBodyRate`: bytes per second a client must keep up when sending a body (after the grace). Default 240; 0 turns it off.</summary>
    public long MinBodyRate { get; init; } = 240;

    /// <summary>`minBodyRateGrace`: time a body may start slowly before `minBodyRate` applies. Default 5s.</summary>
    public TimeSpan MinBodyRateGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>`keepAliveTimeout`: how long an idle connection stays open between requests. Default 130s.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(130);

    /// <summary>`maxConnections`: open client connections in total; more are closed at once. Default unlimited.</summary>
    public long? MaxConnections { get; init; }

    /// <summary>`maxConnectionsPerIp`: open connections from one client address; more are closed at once. Default unlimited.</summary>
    public int? MaxConnectionsPerIp { get; init; }

    /// <summary>The keys Kestrel reads when it starts; a reload that changes them needs a restart.</summary>
    public (long, int, long, TimeSpan, long, TimeSpan, TimeSpan, long?) ServerWide
        => (MaxRequestLine, MaxHeaderCount, MaxHeadersSize, HeadersTimeout, MinBodyRate, MinBodyRateGrace, KeepAliveTimeout, MaxConnections);
}

/// <summary>A route's `limits`: each key set here replaces the global one for that route.</summary>
internal sealed record RouteLimitsSettings
{
    /// <summary>`maxUrlLength`: 414 past it.</summary>
    public long? MaxUrlLength { get; init; }

    /// <summary>`maxHeaderCount`: 431 past it; at most the global ceiling.</summary>
    public int? MaxHeaderCount { get; init; }

    /// <summary>`maxHeadersSize`: 431 past it; at most the global ceiling.</summary>
    public long? MaxHeadersSize { get; init; }

    /// <summary>`maxBodySize`: 413 past it.</summary>
    public long? MaxBodySize { get; init; }

    /// <summary>`methods`: 405 for others.</summary>
    public IReadOnlyList<string>? Methods { get; init; }
}

internal enum UnderscoreHeaderPolicy
{
    Drop,
    Reject,
    Allow,
}
