using System.Net.Security;

namespace Portico.Tls;

/// <summary>
/// The cipher policy of HTTPS listeners: TLS 1.3's AEAD suites, and for TLS 1.2 only ECDHE key
/// exchange with AES-GCM or ChaCha20-Poly1305 (forward secrecy, no CBC, no RSA key transport).
/// These are also the suites RFC 9113 §9.2.2 leaves usable for HTTP/2.
/// </summary>
internal static class ModernCiphers
{
    private static readonly TlsCipherSuite[] Suites =
    [
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    /// <summary>Null where the platform picks suites itself (CipherSuitesPolicy is Linux/macOS with OpenSSL only).</summary>
    public static readonly CipherSuitesPolicy? Policy = OperatingSystem.IsLinux() ? new CipherSuitesPolicy(Suites) : null;

    /// <summary>Whether a negotiated suite is one of the policy's; where the platform picks, every suite is.</summary>
    public static bool Allows(TlsCipherSuite suite) => Policy is null || Suites.Contains(suite);
}
