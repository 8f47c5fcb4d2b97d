using System.Net.Security;
using Microsoft.Extensions.Logging;

namespace Portico.Tls;

/// <summary>TLS session events: what resumable listeners refuse after the handshake (ids 4200–4299).</summary>
internal sealed partial class TlsSessionLog(ILogger<TlsSessionLog> logger)
{
    [LoggerMessage(4200, LogLevel.Information, "closed a TLS connection from {Peer} on listener '{Listener}': it negotiated {CipherSuite}, which is not one of the allowed suites (ECDHE with AES-GCM or ChaCha20-Poly1305)")]
    public partial void CipherRefused(string peer, string listener, TlsCipherSuite cipherSuite);

    [LoggerMessage(4201, LogLevel.Debug, "session ticket key rotated: tickets are now issued under key {KeyName}; the {Kept} newest keys decrypt")]
    public partial void TicketKeyRotated(string keyName, int kept);

    [LoggerMessage(4202, LogLevel.Debug, "a new TLS context issues its session tickets under Portico's rotating keys (current key {KeyName})")]
    public partial void TicketKeysAdopted(string keyName);

    [LoggerMessage(4203, LogLevel.Warning, "could not prepare session tickets for certificate {Certificate}: {Reason}; its first clients' tickets are under OpenSSL's own key until one has connected")]
    public partial void TicketKeysNotPrepared(string certificate, string reason);

    [LoggerMessage(4204, LogLevel.Warning, "session tickets stay under OpenSSL's own key, which is never rotated: {Reason}")]
    public partial void TicketKeysUnavailable(string reason);

    [LoggerMessage(4205, LogLevel.Warning, "session ticket keys could not be read from Redis: this instance keeps the keys it has (rotating them itself when due), and its new tickets may resume on it alone until Redis answers")]
    public partial void TicketKeysNotShared();

    [LoggerMessage(4206, LogLevel.Information, "session ticket keys are shared through Redis again ({Count} key(s) in the ring)")]
    public partial void TicketKeysShared(int count);
}
