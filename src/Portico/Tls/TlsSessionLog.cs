using System.Net.Security;
using Microsoft.Extensions.Logging;

namespace Portico.Tls;

/// <summary>TLS session events: what resumable listeners refuse after the handshake (ids 4200–4299).</summary>
internal sealed partial class TlsSessionLog(ILogger<TlsSessionLog> logger)
{
    [LoggerMessage(4200, LogLevel.Information, "closed a TLS connection from {Peer} on listener '{Listener}': it negotiated {CipherSuite}, which is not one of the allowed suites (ECDHE with AES-GCM or ChaCha20-Poly1305)")]
    public partial void CipherRefused(string peer, string listener, TlsCipherSuite cipherSuite);
}
