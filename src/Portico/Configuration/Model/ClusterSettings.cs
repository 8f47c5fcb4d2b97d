namespace Portico.Configuration.Model;

/// <summary>One `clusters.ID` entry: a set of backend destinations and how to use them.</summary>
internal sealed record ClusterSettings
{
    public required string Id { get; init; }

    public required IReadOnlyList<DestinationSettings> Destinations { get; init; }

    /// <summary>`discovery`: more destinations, one per A/AAAA record of a DNS name. Default: none.</summary>
    public DnsDiscoverySettings? Discovery { get; init; }

    /// <summary>`loadBalancing`: a name from <see cref="LoadBalancing.PolicyNames"/>. Default round-robin.</summary>
    public string LoadBalancing { get; init; } = Portico.LoadBalancing.PolicyNames.RoundRobin;

    /// <summary>`hashKey`: for consistent-hash: client-ip (default), header:NAME or cookie:NAME.</summary>
    public string HashKey { get; init; } = "client-ip";

    /// <summary>`timeout`: longest wait for backend activity (response headers, body data); 504 after. Default 100s.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>`connectTimeout`: TCP (and TLS) connect limit per attempt. Default 10s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>`retries`: extra attempts on another destination after a connection failure or a timeout before any response. Default 0.</summary>
    public int Retries { get; init; }

    /// <summary>`http.version`: "1.1" (default) or "2" (h2c or h2 over TLS) toward the backends.</summary>
    public string HttpVersion { get; init; } = "1.1";

    /// <summary>`http.maxConnectionsPerServer`: cap on pooled connections per destination. Default unlimited.</summary>
    public int? MaxConnectionsPerServer { get; init; }

    /// <summary>`tls`: verification of https:// destinations and a client certificate toward them. Default: the system store.</summary>
    public BackendTlsSettings? Tls { get; init; }

    public ActiveHealthSettings? ActiveHealth { get; init; }

    public PassiveHealthSettings? PassiveHealth { get; init; }
}

/// <summary>A `destinations` entry: a URL string, or {address, weight, name}.</summary>
internal sealed record DestinationSettings
{
    /// <summary>`name`: shown in logs and the admin API. Default: host:port of the address.</summary>
    public required string Name { get; init; }

    /// <summary>`address`: absolute http:// or https:// URL of the backend, optionally with a base path.</summary>
    public required Uri Address { get; init; }

    /// <summary>`weight`: share of traffic for weighted and consistent-hash balancing. Default 1.</summary>
    public int Weight { get; init; } = 1;
}
