namespace Portico.Configuration.Model;

/// <summary>A `listeners.NAME.tls` section: what an HTTPS listener serves and asks of clients.</summary>
internal sealed record ListenerTlsSettings
{
    /// <summary>`certificates`: PEM or PKCS#12 files, chosen by SNI; the first is the default. Default none.</summary>
    public IReadOnlyList<CertificateSource> Certificates { get; init; } = [];

    /// <summary>`acme`: host names whose certificates Portico obtains from the `acme` directory. Default none.</summary>
    public IReadOnlyList<string> AcmeHosts { get; init; } = [];

    /// <summary>`clientCertificate`: mutual TLS. Default off.</summary>
    public ClientCertificateSettings? ClientCertificate { get; init; }

    /// <summary>`hsts`: Strict-Transport-Security per host; the first entry whose hosts match applies. Default none.</summary>
    public IReadOnlyList<HstsSettings> Hsts { get; init; } = [];

    /// <summary>`sessionResumption`: a returning client may resume its TLS session (tickets, session ids) instead of a full handshake. Default true, false with `clientCertificate`.</summary>
    public bool SessionResumption { get; init; } = true;

    /// <summary>What shapes the handshake, to tell whether a reload changed it (that needs a restart; `hsts` applies live).</summary>
    public string Describe() => $"{string.Join(',', Certificates)}|{string.Join(',', AcmeHosts)}|{ClientCertificate}|{SessionResumption}";

    /// <summary>True when neither files nor ACME hosts are given: a self-signed development certificate is served.</summary>
    public bool UsesDevelopmentCertificate => Certificates.Count == 0 && AcmeHosts.Count == 0;
}

/// <summary>A certificate file entry: `{ cert, key }` (PEM) or `{ pfx, password }` (PKCS#12). Paths are absolute once bound.</summary>
internal sealed record CertificateSource
{
    /// <summary>`cert`: PEM file with the certificate, then its chain.</summary>
    public string? CertPath { get; init; }

    /// <summary>`key`: PEM private key; default: the key is in the `cert` file.</summary>
    public string? KeyPath { get; init; }

    /// <summary>`pfx`: PKCS#12 file with the key, certificate and chain.</summary>
    public string? PfxPath { get; init; }

    /// <summary>`password`: of the PKCS#12 file or an encrypted PEM key. Default none.</summary>
    public string? Password { get; init; }

    public IEnumerable<string> Files => new[] { CertPath, KeyPath, PfxPath }.OfType<string>();

    public override string ToString() => PfxPath ?? CertPath ?? "";
}

/// <summary>`clientCertificate`: whether clients must present a certificate signed by `ca`.</summary>
internal sealed record ClientCertificateSettings
{
    /// <summary>`mode`: required (default: the handshake fails without a valid certificate) or optional (none is fine, an invalid one is not).</summary>
    public bool Required { get; init; } = true;

    /// <summary>`ca`: PEM bundle of the CAs that may sign client certificates. Required.</summary>
    public required string CaPath { get; init; }

    /// <summary>`forwardHeaders`: send X-Client-Cert-Subject and X-Client-Cert-Fingerprint to backends. Default true.</summary>
    public bool ForwardHeaders { get; init; } = true;
}

/// <summary>One `hsts` entry (RFC 6797).</summary>
internal sealed record HstsSettings
{
    /// <summary>`hosts`: host names, "*.example.com" allowed. Default: every host.</summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];

    /// <summary>`maxAge`: how long browsers remember to use HTTPS only. Default 365d.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(365);

    /// <summary>`includeSubDomains`: default false.</summary>
    public bool IncludeSubDomains { get; init; }

    /// <summary>`preload`: default false.</summary>
    public bool Preload { get; init; }

    /// <summary>The Strict-Transport-Security value (RFC 6797 §6.1).</summary>
    public string HeaderValue => $"max-age={(long)MaxAge.TotalSeconds}{(IncludeSubDomains ? "; includeSubDomains" : "")}{(Preload ? "; preload" : "")}";
}

/// <summary>A `clusters.ID.tls` section: how Portico verifies https:// backends and proves itself to them.</summary>
internal sealed record BackendTlsSettings
{
    /// <summary>`ca`: PEM bundle trusted instead of the system store. Default: the system store.</summary>
    public string? CaPath { get; init; }

    /// <summary>`insecureSkipVerify`: accept any backend certificate (test setups only; logged as a warning). Default false.</summary>
    public bool InsecureSkipVerify { get; init; }

    /// <summary>`clientCertificate`: `{ cert, key }` or `{ pfx, password }` presented to backends that ask. Default none.</summary>
    public CertificateSource? ClientCertificate { get; init; }
}

/// <summary>The top-level `acme` section: where and how certificates for `tls.acme` hosts are obtained.</summary>
internal sealed record AcmeSettings
{
    public static readonly Uri LetsEncrypt = new("https://acme-v02.api.letsencrypt.org/directory");

    /// <summary>`directory`: the ACME server's directory URL. Default Let's Encrypt production.</summary>
    public Uri Directory { get; init; } = LetsEncrypt;

    /// <summary>`email`: account contact. Default none.</summary>
    public string? Email { get; init; }

    /// <summary>`storage`: folder for the account key and the certificates. Default "acme" beside the config file.</summary>
    public required string StoragePath { get; init; }

    /// <summary>`challenge`: http-01 (default; answered on a plain-text listener) or tls-alpn-01 (answered in the HTTPS listener's handshake).</summary>
    public string Challenge { get; init; } = "http-01";

    /// <summary>`renewBefore`: renew when a certificate has less than this left. Default 30d.</summary>
    public TimeSpan RenewBefore { get; init; } = TimeSpan.FromDays(30);

    /// <summary>`retryBackoff`: the first wait after a failure; it doubles per failure. Default 1m.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>`maxRetryBackoff`: the longest wait between failed attempts. Default 6h.</summary>
    public TimeSpan MaxRetryBackoff { get; init; } = TimeSpan.FromHours(6);

    /// <summary>`ca`: PEM bundle trusted for the ACME server's own HTTPS (a private CA). Default: the system store.</summary>
    public string? CaPath { get; init; }

    /// <summary>`lockTtl`: with a `redis` section, how long an order's lock outlives a holder that stopped extending it (a crash); extended every third of it. Default 1m.</summary>
    public TimeSpan LockTtl { get; init; } = TimeSpan.FromMinutes(1);
}
