namespace Portico.Configuration.Model;

/// <summary>`redis.tls`: the connection to Redis is TLS; the server's certificate is verified.</summary>
internal sealed record RedisTlsSettings
{
    /// <summary>`ca`: PEM file of the CA(s) trusted for the server's certificate (absolute). Default none: the system store.</summary>
    public string? CaFile { get; init; }

    /// <summary>`serverName`: the name sent in SNI and checked against the certificate. Default: the endpoint's host.</summary>
    public string? ServerName { get; init; }
}
