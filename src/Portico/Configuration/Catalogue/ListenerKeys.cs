using static Portico.Configuration.Catalogue.Keys;

namespace Portico.Configuration.Catalogue;

/// <summary>`listeners.NAME` and its `tls` section.</summary>
internal static class ListenerKeys
{
    public static IEnumerable<ConfigKey> All =>
    [
        Names("listeners", "where Portico accepts client connections, by a name of your choice; at least one is required.") with { Required = true },
        Table("listeners.NAME", "Where Portico accepts client connections; at least one listener is required. The name is yours (letters, digits, `-`, `_`, `.`)."),
        Text("listeners.NAME.address", "`host:port` to bind: `0.0.0.0:8080`, `[::]:8080`, `127.0.0.1:8080`, `localhost:8080`, `*:8080`.") with { Required = true, Example = "\"127.0.0.1:8080\"" },
        List("listeners.NAME.protocols", "plain text: `[http1]` or `[h2c]` (HTTP/2 with prior knowledge, for gRPC and h2c clients); a plain-text port cannot offer both, declare two listeners. With `tls`: `h2` and/or `http1`, chosen per connection by ALPN.")
            with { Allowed = ["http1", "h2c", "h2"], Default = "[http1]", DefaultNote = "; with `tls`: `[h2, http1]`" },
        new ConfigKey
        {
            Path = "listeners.NAME.redirectToHttps", Kind = ConfigKind.Bool, OrKind = ConfigKind.Int, Min = 1, Max = 65535, Default = "false",
            Description = "`true` (to port 443) or a port number: every request on this plain listener gets `301` (GET, HEAD) or `308` (other methods, which keeps method and body) to `https://HOST[:PORT]` with the same path and query. ACME http-01 challenges are still answered.",
        },
        .. IpRules("listeners.NAME", "every request on this listener"),

        Table("listeners.NAME.tls", "makes the listener HTTPS (what it does: [TLS and ACME](tls.md)). `tls: {}` serves a self-signed development certificate.") with { DefaultNote = "none" },
        Items("listeners.NAME.tls.certificates", "a list of `{ cert, key }` (PEM; `key` may be left out when the key is in the `cert` file; `password` for an encrypted key) or `{ pfx, password }` (PKCS#12). The chain after the leaf is sent with it. Paths are relative to the config file. Every file is read by `portico check`: a missing or unusable one is a config error. The first is the default for SNI.") with { DefaultNote = "none" },
        .. CertificateSource("listeners.NAME.tls.certificates[]"),
        List("listeners.NAME.tls.acme", "host names whose certificates Portico obtains itself; see [ACME](tls.md#acme) and the [`acme`](#acme) section.") with { DefaultNote = "none", Example = "[www.example.com]" },
        Section("listeners.NAME.tls.clientCertificate", "mutual TLS: clients present a certificate signed by `ca`.") with { DefaultNote = "off" },
        OneOf("listeners.NAME.tls.clientCertificate.mode", ["required", "optional"], "`required` (the handshake fails without a valid client certificate) or `optional` (none is fine; an invalid one still fails).") with { Default = "required" },
        Text("listeners.NAME.tls.clientCertificate.ca", "PEM bundle of the CAs that may sign client certificates. Only these are trusted (never the system store), and the certificate must allow client authentication (extended key usage).") with { Required = true, Example = "clients-ca.pem" },
        Bool("listeners.NAME.tls.clientCertificate.forwardHeaders", true, "send the verified certificate to the backend as `X-Client-Cert-Subject` (the subject, e.g. `CN=alice, O=Example`; non-ASCII is percent-encoded) and `X-Client-Cert-Fingerprint` (lower-case hex SHA-256 of the DER certificate). Whatever a client sends in these two headers is removed on every listener, so a backend can trust them."),
        Bool("listeners.NAME.tls.sessionResumption", true, "a returning client may resume its TLS session instead of a full handshake: TLS 1.3 and TLS 1.2 session tickets and TLS 1.2 session ids, kept by OpenSSL per certificate for 2 hours. With `clientCertificate` it is off and cannot be turned on. Needs a restart to change.") with { DefaultNote = " (`false` with `clientCertificate`)" },
        Items("listeners.NAME.tls.hsts", "one entry or a list: `{ hosts, maxAge, includeSubDomains, preload }`. The first entry whose `hosts` match the request's host adds `Strict-Transport-Security: max-age=…[; includeSubDomains][; preload]` to HTTPS responses (never on plain HTTP, RFC 6797 §7.2). Applied live on reload.") with { OrKind = ConfigKind.Section, DefaultNote = "none" },
        List("listeners.NAME.tls.hsts[].hosts", "host names this entry applies to; `*.` wildcards allowed.") with { DefaultNote = "every host", Example = "[example.com]" },
        Duration("listeners.NAME.tls.hsts[].maxAge", "how long browsers remember to use HTTPS only (`max-age`).") with { Default = "365d" },
        Bool("listeners.NAME.tls.hsts[].includeSubDomains", false, "adds `includeSubDomains`."),
        Bool("listeners.NAME.tls.hsts[].preload", false, "adds `preload`."),
    ];
}
